/* Triangular nests that read or write the mirrored element (a[i][j] and a[j][i]): independent only because the
   inner bounds keep two outer iterations apart (j >= i), and look-alikes whose triangles do meet. */
#include <stdio.h>

#define N 200

static double g[N][N], c[N][N], u[N][N], t[N][N], w[N][N];

/* Gram matrix of the columns of g, upper triangle computed and mirrored into the lower one (covariance). */
static void gram_symmetric(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++) {
    /* expect: parallel */
    for (int j = i; j < n; j++) {
      double s = 0.0;
      /* expect: reduction reduction(+:s) */
      for (int k = 0; k < n; k++)
        s += g[k][i] * g[k][j];
      c[i][j] = s;
      c[j][i] = s;
    }
  }
}

/* Copy the strict lower triangle into the upper one, in place. */
static void mirror_lower(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    /* expect: parallel */
    for (int j = i + 1; j < n; j++)
      u[i][j] = u[j][i];
}

/* Each row of the lower triangle (diagonal included) from the matching column of the upper one, in place. */
static void fold_upper(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    /* expect: parallel */
    for (int j = 0; j <= i; j++)
      t[i][j] = 0.5 * t[j][i];
}

/* In-place transpose over the whole square: row i reads what earlier rows wrote. */
static void transpose_in_place_wrong(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    /* expect: parallel */
    for (int j = 0; j < n; j++)
      w[i][j] = w[j][i] + 1.0;
}

/* The mirrored element one column over: row i + 1 writes w[i + 1][i + 1], which row i reads. */
static void mirror_shifted(int n) {
  /* expect: serial */
  for (int i = 0; i < n - 1; i++)
    /* expect: serial */
    for (int j = i; j < n; j++)
      u[i][j] = u[j][i + 1] * 0.5;
}

int main(void) {
  int n = N;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      g[i][j] = ((i * 3 + j) % 13) * 0.1;
      u[i][j] = t[i][j] = w[i][j] = ((i + 2 * j) % 7) * 0.5;
    }
  gram_symmetric(n);
  mirror_lower(n);
  fold_upper(n);
  transpose_in_place_wrong(n);
  mirror_shifted(n);
  double sum = 0.0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      sum += c[i][j] + u[i][j] + t[i][j] + w[i][j] * 1e-3;
  printf("%.6f\n", sum);
  return 0;
}
