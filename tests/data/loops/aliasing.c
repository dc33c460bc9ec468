/* Pointer parameters that may alias, restrict, local and global arrays, fresh allocations. */
#include <stdio.h>
#include <stdlib.h>

#define N 3000

static double ga[N], gb[N];

void copy_params(double *dst, const double *src, int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    dst[i] = src[i] * 2.0;
}

void copy_restrict(double *restrict dst, const double *restrict src, int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    dst[i] = src[i] * 2.0;
}

void scale_one(double *x, int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    x[i] = x[i] * 3.0;
}

void param_and_global(double *p, int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    ga[i] = p[i] + 1.0;
}

void globals_only(void) {
  /* expect: parallel */
  for (int i = 0; i < N; i++)
    ga[i] = gb[i] * 0.5;
}

void local_arrays(void) {
  double la[N], lb[N];
  /* expect: parallel */
  for (int i = 0; i < N; i++)
    lb[i] = i * 0.5;
  /* expect: parallel */
  for (int i = 0; i < N; i++)
    la[i] = lb[i] + 1.0;
  printf("%.2f\n", la[N - 1]);
}

void fresh_buffers(int n) {
  double *p = malloc(n * sizeof(double));
  double *q = malloc(n * sizeof(double));
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    p[i] = i;
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    q[i] = p[i] * 2.0;
  printf("%.2f\n", q[n - 1]);
  free(p);
  free(q);
}

void derived_pointer(void) {
  double *p = ga + 1;
  /* expect: serial */
  for (int i = 0; i < N - 1; i++)
    p[i] = ga[i] + 1.0;
}

void three_params(double *a, double *b, double *c, int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    a[i] = b[i] + c[i];
}

void read_only_params(const double *a, const double *b, int n, double *out) {
  double s = 0;
  /* expect: reduction reduction(+:s) */
  for (int i = 0; i < n; i++)
    s += a[i] * b[i];
  *out = s;
}

void write_through_scalar_ptr(const double *a, int n, double *acc) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    *acc += a[i];
}

int main(void) {
  for (int i = 0; i < N; i++) { ga[i] = i % 5; gb[i] = i % 3; }
  copy_params(ga + 1, ga, N - 1);
  copy_restrict(gb, ga, N);
  scale_one(gb, N);
  param_and_global(ga + 2, N - 2);
  globals_only();
  local_arrays();
  fresh_buffers(N);
  derived_pointer();
  three_params(gb + 1, gb, ga, N - 1);
  double r, acc = 0;
  read_only_params(ga, gb, N, &r);
  write_through_scalar_ptr(ga, N, &acc);
  double s = 0;
  for (int i = 0; i < N; i++) s += ga[i] + gb[i];
  printf("%.4f %.4f %.4f\n", s, r, acc);
  return 0;
}
