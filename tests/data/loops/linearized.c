/* Linearized 2-D grids: subscripts through scalars (c = i*w + j), row pointers, strided red-black sweeps. */
#include <stdio.h>
#include <stdlib.h>

#define N 120

static double g1[(N + 2) * (N + 2)], g2[(N + 2) * (N + 2)], mat[N * N], vec[N], res[N];

void heat_flat(const double *restrict u, double *restrict unew, int n) {
  int w = n + 2;
  /* expect: parallel */
  for (int i = 1; i <= n; i++)
    /* expect: parallel */
    for (int j = 1; j <= n; j++) {
      long c = (long)i * w + j;
      unew[c] = u[c] + 0.2 * (u[c - w] + u[c + w] + u[c - 1] + u[c + 1] - 4.0 * u[c]);
    }
}

void heat_inline_stride(int n) {
  int i, j, c;
  /* expect: parallel private(c,j) */
  for (i = 1; i <= n; i++)
    /* expect: parallel private(c) */
    for (j = 1; j <= n; j++) {
      c = i * (n + 2) + j;
      g2[c] = 0.25 * (g1[c - 1] + g1[c + 1] + g1[c - n - 2] + g1[c + n + 2]);
    }
}

void seidel_flat(double *u, int n) {
  int w = n + 2;
  /* expect: serial */
  for (int i = 1; i <= n; i++)
    /* expect: parallel */
    for (int j = 1; j <= n; j++) {
      int c = i * w + j;
      u[c] = 0.5 * (u[c - w] + u[c + w]);
    }
}

void overlapping_rows(double *restrict out, const double *restrict in, int n) {
  int w = n - 1; /* rows of n elements laid out n - 1 apart: row i's last element is row i+1's first */
  /* expect: serial */
  for (int i = 0; i < n; i++)
    /* expect: parallel */
    for (int j = 0; j < n; j++) {
      int c = i * w + j;
      out[c] = in[c] + i;
    }
}

void row_pointer_matvec(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++) {
    const double *row = &mat[i * n];
    double s = 0;
    /* expect: reduction reduction(+:s) */
    for (int j = 0; j < n; j++)
      s += row[j] * vec[j];
    res[i] = s;
  }
}

void row_pointer_scale(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++) {
    double *row = mat + i * n;
    /* expect: parallel */
    for (int j = 0; j < n; j++)
      row[j] = 0.5 * row[j] + vec[j];
  }
}

void row_pointer_shift(int n) {
  /* expect: serial */
  for (int i = 0; i < n - 1; i++) {
    double *row = &mat[i * n];
    /* expect: parallel */
    for (int j = 0; j < n; j++)
      row[j] = row[j + n] * 0.5;
  }
}

int main(void) {
  for (int i = 0; i < (N + 2) * (N + 2); i++) { g1[i] = i % 17; g2[i] = 0; }
  for (int i = 0; i < N * N; i++) mat[i] = i % 5;
  for (int i = 0; i < N; i++) vec[i] = i % 3;
  double *out = calloc((N + 2) * (N + 2), sizeof(double));
  heat_flat(g1, g2, N);
  heat_inline_stride(N);
  seidel_flat(g1, N);
  overlapping_rows(out, g1, N);
  row_pointer_matvec(N);
  row_pointer_scale(N);
  row_pointer_shift(N);
  double s = 0;
  for (int i = 0; i < (N + 2) * (N + 2); i++) s += g1[i] + g2[i] + out[i];
  for (int i = 0; i < N * N; i++) s += mat[i];
  for (int i = 0; i < N; i++) s += res[i];
  printf("%.4f\n", s);
  free(out);
  return 0;
}
