/* Pointer parameters whose distinctness is proved only through the callers: main's mallocs, two calls deep. */
#include <stdio.h>
#include <stdlib.h>

#define N 5000

static void axpy(double alpha, const double *x, double *y, int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    y[i] += alpha * x[i];
}

static void copy_shift(double *dst, const double *src, int n) {
  /* expect: serial */
  for (int i = 0; i < n - 1; i++)
    dst[i] = src[i + 1] * 0.5;
}

static void copy_shift_distinct(double *dst, const double *src, int n) {
  /* expect: parallel */
  for (int i = 0; i < n - 1; i++)
    dst[i] = src[i + 1] * 0.5;
}

static void solver_step(double *x, double *r, double *p, int n) {
  axpy(0.5, p, x, n);
  axpy(-0.25, x, r, n);
  copy_shift_distinct(p, r, n);
}

static void smooth_in_place(double *u, int n) {
  copy_shift(u, u, n); /* the same buffer for both: a real anti dependence */
}

static void relay(double *a, double *b, double *c, int n) {
  solver_step(a, b, c, n);
  smooth_in_place(c, n);
}

static void blend(double *out, const double *in, int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    out[i] = 0.5 * (out[i] + in[i]);
}

int main(void) {
  double *x = malloc(N * sizeof(double)), *r = malloc(N * sizeof(double));
  double *p = malloc(N * sizeof(double));
  double local[N];
  for (int i = 0; i < N; i++) { x[i] = i % 7; r[i] = i % 3; p[i] = i % 5; local[i] = 1; }
  relay(x, r, p, N);
  blend(local, x, N);
  blend(r, local, N);
  double s = 0;
  for (int i = 0; i < N; i++) s += x[i] + r[i] + p[i] + local[i];
  printf("%.4f\n", s);
  free(x);
  free(r);
  free(p);
  return 0;
}
