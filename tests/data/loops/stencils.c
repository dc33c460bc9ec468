/* Stencils: Jacobi sweeps (parallel), Gauss-Seidel and in-place updates (serial). */
#include <stdio.h>
#include <stdlib.h>

#define N 400
#define M 300

static double u[N][M], v[N][M];
static double a1[N * M], b1[N * M];

void jacobi1d(int n, double *restrict out, const double *restrict in) {
  int i;
  /* expect: parallel */
  for (i = 1; i < n - 1; i++)
    out[i] = (in[i - 1] + in[i] + in[i + 1]) / 3.0;
}

void gauss_seidel1d(int n, double *x) {
  /* expect: serial */
  for (int i = 1; i < n - 1; i++)
    x[i] = (x[i - 1] + x[i] + x[i + 1]) / 3.0;
}

void jacobi2d(void) {
  int i, j;
  /* expect: parallel private(j) */
  for (i = 1; i < N - 1; i++)
    /* expect: parallel */
    for (j = 1; j < M - 1; j++)
      v[i][j] = 0.25 * (u[i - 1][j] + u[i + 1][j] + u[i][j - 1] + u[i][j + 1]);
}

void copy_back(void) {
  /* expect: parallel */
  for (int i = 0; i < N; i++)
    /* expect: parallel */
    for (int j = 0; j < M; j++)
      u[i][j] = v[i][j];
}

void seidel2d(void) {
  /* expect: serial */
  for (int i = 1; i < N - 1; i++)
    /* expect: serial */
    for (int j = 1; j < M - 1; j++)
      u[i][j] = 0.2 * (u[i - 1][j] + u[i + 1][j] + u[i][j - 1] + u[i][j + 1] + u[i][j]);
}

void column_sweep(void) {
  /* expect: serial */
  for (int i = 1; i < N; i++)
    /* expect: parallel */
    for (int j = 0; j < M; j++)
      u[i][j] = u[i - 1][j] * 0.5 + v[i][j];
}

void row_sweep(void) {
  /* expect: parallel */
  for (int i = 0; i < N; i++)
    /* expect: serial */
    for (int j = 1; j < M; j++)
      u[i][j] = u[i][j - 1] * 0.5 + v[i][j];
}

void flat_jacobi(int n, int m) {
  /* expect: parallel */
  for (int i = 1; i < n - 1; i++)
    /* expect: parallel */
    for (int j = 1; j < m - 1; j++)
      b1[i * m + j] = 0.25 * (a1[(i - 1) * m + j] + a1[(i + 1) * m + j] + a1[i * m + j - 1] + a1[i * m + j + 1]);
}

void flat_inplace(int n, int m) {
  /* expect: serial */
  for (int i = 1; i < n; i++)
    /* expect: parallel */
    for (int j = 0; j < m; j++)
      a1[i * m + j] = a1[(i - 1) * m + j] + 1.0;
}

void red_black(void) {
  /* expect: parallel */
  for (int i = 1; i < N - 1; i++)
    /* expect: parallel */
    for (int j = 1 + (i % 2); j < M - 1; j += 2)
      u[i][j] = 0.25 * (u[i - 1][j] + u[i + 1][j] + u[i][j - 1] + u[i][j + 1]);
}

void shift_left(double *restrict x, int n) {
  /* expect: serial */
  for (int i = 0; i < n - 1; i++)
    x[i] = x[i + 1];
}

void even_odd(double *restrict x, int n) {
  /* expect: parallel */
  for (int i = 0; i < n / 2; i++)
    x[2 * i] = x[2 * i + 1] * 2.0;
}

int main(void) {
  double *p = malloc(N * sizeof(double)), *q = malloc(N * sizeof(double));
  for (int i = 0; i < N; i++) { p[i] = i % 7; q[i] = 0; }
  for (int i = 0; i < N; i++) for (int j = 0; j < M; j++) { u[i][j] = (i * j) % 11; v[i][j] = 0; }
  for (int i = 0; i < N * M; i++) { a1[i] = i % 13; b1[i] = 0; }
  jacobi1d(N, q, p);
  gauss_seidel1d(N, p);
  jacobi2d();
  copy_back();
  seidel2d();
  column_sweep();
  row_sweep();
  flat_jacobi(N, M);
  flat_inplace(N, M);
  red_black();
  shift_left(p, N);
  even_odd(q, N);
  double s = 0;
  for (int i = 0; i < N; i++) s += p[i] + q[i] + u[i][i % M] + b1[i * 7];
  printf("%.6f\n", s);
  free(p); free(q);
  return 0;
}
