/* Additive updates of an array section swept by inner loops (s[j] += in a j loop): array-section reductions on
   the outer loop, and look-alikes that are not reductions (the section is read, or another argument aliases it). */
#include <stdio.h>
#include <stdlib.h>

#define N 300
#define M 64

/* s = A^T r and q = A p in one sweep over the rows of A (BiCG). */
static void both_products(int n, const double *A, const double *r, const double *p, double *s, double *q) {
  for (int j = 0; j < n; j++)
    s[j] = 0.0;
  /* expect: reduction reduction(+:s[:n]) */
  for (int i = 0; i < n; i++) {
    double t = 0.0;
    /* expect: reduction reduction(+:t) */
    for (int j = 0; j < n; j++) {
      s[j] += r[i] * A[i * n + j];
      t += A[i * n + j] * p[j];
    }
    q[i] = t;
  }
}

/* Each row scatters into its neighbours' columns: the section is 0 .. n-1 although j runs 1 .. n-2. */
static void scatter_neighbours(int n, const double *w, double *y) {
  int i, j;
  /* expect: reduction private(j) reduction(+:y[:n]) */
  for (i = 0; i < n; i++)
    /* expect: serial */
    for (j = 1; j < n - 1; j++) {
      y[j - 1] += 0.25 * w[i * n + j];
      y[j + 1] -= 0.25 * w[i * n + j];
    }
}

/* Column sums over a window lo..hi-1 of columns. */
static void window_sums(int n, int lo, int hi, const double *w, double *s) {
  /* expect: reduction reduction(+:s[lo:hi - lo]) */
  for (int i = 0; i < n; i++)
    /* expect: parallel */
    for (int k = lo; k < hi; k++)
      s[k] += w[i * n + k];
}

/* A local accumulator with a macro size, counted down. */
static double bucket_profile(int n, const double *w) {
  double acc[M] = {0};
  /* expect: reduction reduction(+:acc) */
  for (int i = 0; i < n; i++)
    /* expect: parallel */
    for (int b = M - 1; b >= 0; b--)
      acc[b] += w[i * n + b];
  double t = 0.0;
  for (int b = 0; b < M; b++)
    t += acc[b] * (b + 1);
  return t;
}

/* An array parameter written with its size. */
static void column_sums(int n, const double A[N][N], double col[N]) {
  /* expect: reduction reduction(+:col[:N]) */
  for (int i = 0; i < n; i++)
    /* expect: parallel */
    for (int j = 0; j < N; j++)
      col[j] += A[i][j];
}

/* Not a reduction: each row also reads the running sums. */
static void running_feedback(int n, const double *w, double *s, double *out) {
  /* expect: serial */
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++)
      s[j] += w[i * n + j];
    out[i] = s[0];
  }
}

/* Not a reduction: the source row r is the accumulator itself at the call site. */
static void accumulate(int n, const double *r, double *s) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    /* expect: serial */
    for (int j = 0; j < n; j++)
      s[j] += 0.5 / n * r[i];
}

/* Not a reduction over i: the element depends on i (each row shifts along s). */
static void shifted_rows(int n, double *s) {
  /* expect: serial */
  for (int i = 1; i < n; i++)
    /* expect: serial */
    for (int j = 0; j < n - i; j++)
      s[j + i] += s[j] * 1e-6;
}

static double (*mat)[N];

int main(void) {
  int n = N;
  double *A = malloc(sizeof(double) * N * N), *r = malloc(sizeof(double) * N), *p = malloc(sizeof(double) * N);
  double *s = malloc(sizeof(double) * N), *q = malloc(sizeof(double) * N), *y = malloc(sizeof(double) * N);
  double *out = malloc(sizeof(double) * N);
  mat = malloc(sizeof(double[N][N]));
  double col[N];
  for (int i = 0; i < N; i++) {
    r[i] = (i % 7) * 0.1;
    p[i] = (i % 5) * 0.2;
    y[i] = 0.0;
    col[i] = 0.0;
    for (int j = 0; j < N; j++) {
      A[i * N + j] = ((i + 2 * j) % 11) * 0.01;
      mat[i][j] = A[i * N + j];
    }
  }
  both_products(n, A, r, p, s, q);
  scatter_neighbours(n, A, y);
  window_sums(n, 10, 50, A, s);
  double t = bucket_profile(n, A);
  column_sums(n, (const double(*)[N])mat, col);
  running_feedback(n, A, q, out);
  accumulate(n, r, q);
  accumulate(n, y, y);
  shifted_rows(n, p);
  double sum = t;
  for (int i = 0; i < N; i++)
    sum += s[i] + q[i] + y[i] + col[i] + out[i] + p[i];
  printf("%.6f\n", sum);
  free(A); free(r); free(p); free(s); free(q); free(y); free(out); free(mat);
  return 0;
}
