/* Dense linear algebra: gemm, gemv, transpose, axpy, LU, triangular solves. */
#include <stdio.h>

#define N 160

static double A[N][N], B[N][N], C[N][N], L[N][N];
static double x[N], y[N], z[N];

void gemm_ijk(void) {
  int i, j, k;
  /* expect: parallel private(j,k) */
  for (i = 0; i < N; i++)
    /* expect: parallel private(k) */
    for (j = 0; j < N; j++)
      /* expect: serial */
      for (k = 0; k < N; k++)
        C[i][j] += A[i][k] * B[k][j];
}

void gemm_dot(void) {
  /* expect: parallel */
  for (int i = 0; i < N; i++)
    /* expect: parallel */
    for (int j = 0; j < N; j++) {
      double sum = 0.0;
      /* expect: reduction reduction(+:sum) */
      for (int k = 0; k < N; k++)
        sum += A[i][k] * B[k][j];
      C[i][j] = sum;
    }
}

void gemm_ikj(void) {
  /* expect: parallel */
  for (int i = 0; i < N; i++)
    /* expect: serial */
    for (int k = 0; k < N; k++) {
      double aik = A[i][k];
      /* expect: parallel */
      for (int j = 0; j < N; j++)
        C[i][j] += aik * B[k][j];
    }
}

void gemv(void) {
  int i, j;
  double t;
  /* expect: parallel private(j,t) */
  for (i = 0; i < N; i++) {
    t = 0.0;
    for (j = 0; j < N; j++)
      t += A[i][j] * x[j];
    y[i] = t;
  }
}

void gemv_transposed(void) {
  /* expect: reduction reduction(+:z) */
  for (int i = 0; i < N; i++)
    /* expect: parallel */
    for (int j = 0; j < N; j++)
      z[j] += A[i][j] * x[i];
}

void transpose(void) {
  /* expect: parallel */
  for (int i = 0; i < N; i++)
    /* expect: parallel */
    for (int j = 0; j < N; j++)
      B[j][i] = A[i][j];
}

void axpy(int n, double alpha, double *restrict yy, const double *restrict xx) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    yy[i] += alpha * xx[i];
}

double dot(int n, const double *u, const double *v) {
  double s = 0.0;
  /* expect: reduction reduction(+:s) */
  for (int i = 0; i < n; i++)
    s += u[i] * v[i];
  return s;
}

void lu(void) {
  /* expect: serial */
  for (int k = 0; k < N; k++) {
    /* expect: parallel */
    for (int i = k + 1; i < N; i++)
      L[i][k] = L[i][k] / L[k][k];
    /* expect: parallel */
    for (int i = k + 1; i < N; i++)
      /* expect: parallel */
      for (int j = k + 1; j < N; j++)
        L[i][j] -= L[i][k] * L[k][j];
  }
}

void forward_subst(void) {
  /* expect: serial */
  for (int i = 0; i < N; i++) {
    double s = x[i];
    /* expect: reduction reduction(-:s) */
    for (int j = 0; j < i; j++)
      s -= L[i][j] * z[j];
    z[i] = s / L[i][i];
  }
}

void syrk_lower(void) {
  /* expect: parallel */
  for (int i = 0; i < N; i++)
    /* expect: parallel */
    for (int j = 0; j <= i; j++) {
      double s = 0;
      for (int k = 0; k < N; k++)
        s += A[i][k] * A[j][k];
      C[i][j] = s;
    }
}

void outer_product(void) {
  /* expect: parallel */
  for (int i = 0; i < N; i++)
    /* expect: parallel */
    for (int j = 0; j < N; j++)
      B[i][j] = x[i] * y[j];
}

double frobenius(void) {
  double f = 0;
  /* expect: reduction reduction(+:f) */
  for (int i = 0; i < N; i++)
    /* expect: reduction reduction(+:f) */
    for (int j = 0; j < N; j++)
      f += C[i][j] * C[i][j];
  return f;
}

int main(void) {
  for (int i = 0; i < N; i++) {
    x[i] = 1.0 + i % 5; y[i] = 0; z[i] = 0;
    for (int j = 0; j < N; j++) {
      A[i][j] = (i + j) % 7 * 0.1; B[i][j] = (i * j) % 5 * 0.1; C[i][j] = 0;
      L[i][j] = (i == j) ? 4.0 + i : ((i + 2 * j) % 3) * 0.01;
    }
  }
  gemm_ijk(); gemm_dot(); gemm_ikj(); gemv(); gemv_transposed(); transpose();
  axpy(N, 0.5, y, x);
  double d = dot(N, x, y);
  lu(); forward_subst(); syrk_lower(); outer_product();
  printf("%.6e %.6e %.6e %.6e\n", d, frobenius(), z[N - 1], B[3][4]);
  return 0;
}
