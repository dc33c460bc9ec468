/* Buffers allocated by a helper and handed back through out-parameters (build(&col, &val)): distinct when the
   helper stores a different fresh allocation in each, not when it stores one twice or passes a caller's buffer. */
#include <stdio.h>
#include <stdlib.h>

#define N 4000

/* A banded sparse matrix in CSR form: 3 entries per row. */
static int build_band(int n, int *rowptr, int **colp, double **valp) {
  int nnz = 3 * n;
  int *col = malloc(sizeof(int) * nnz);
  double *val = malloc(sizeof(double) * nnz);
  if (!col || !val)
    return -1;
  /* expect: parallel */
  for (int i = 0; i < n; i++) {
    rowptr[i] = 3 * i;
    /* expect: parallel */
    for (int k = 0; k < 3; k++) {
      int c = i + k - 1;
      col[3 * i + k] = c < 0 ? 0 : (c >= n ? n - 1 : c);
      val[3 * i + k] = k == 1 ? 2.0 : -0.5;
    }
  }
  rowptr[n] = nnz;
  *colp = col;
  *valp = val;
  return nnz;
}

/* One allocation handed back twice: the two out-parameters alias. */
static void twin_buffers(int n, double **a, double **b) {
  double *m = malloc(sizeof(double) * (n + 1));
  /* expect: parallel */
  for (int i = 0; i <= n; i++)
    m[i] = i * 0.5;
  *a = m;
  *b = m;
}

/* Hands back the caller's own buffer. */
static void pass_through(double *buf, double **out) {
  *out = buf;
}

static void spmv(int n, const int *rowptr, const int *col, const double *val, const double *x, double *y) {
  /* expect: parallel */
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    /* expect: reduction reduction(+:s) */
    for (int k = rowptr[i]; k < rowptr[i + 1]; k++)
      s += val[k] * x[col[k]];
    y[i] = s;
  }
}

static void shift_down(int n, double *dst, const double *src) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    dst[i] = src[i + 1] * 0.5;
}

static void shift_back(int n, double *dst, const double *src) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    dst[i] = src[i + 1] + 1.0;
}

int main(void) {
  int n = N;
  int *rowptr = malloc(sizeof(int) * (N + 1)), *col = NULL;
  double *val, *x = malloc(sizeof(double) * (N + 1)), *y = malloc(sizeof(double) * N);
  double *p, *q, *r;
  if (!rowptr || !x || !y || build_band(n, rowptr, &col, &val) < 0)
    return 1;
  for (int i = 0; i <= N; i++)
    x[i] = (i % 9) * 0.25;
  spmv(n, rowptr, col, val, x, y);
  twin_buffers(n, &p, &q);
  shift_down(n, p, q);
  pass_through(x, &r);
  shift_back(n, r, x);
  double sum = 0.0;
  for (int i = 0; i < N; i++)
    sum += y[i] + p[i] + x[i];
  printf("%.6f\n", sum);
  free(rowptr); free(col); free(val); free(x); free(y); free(p);
  return 0;
}
