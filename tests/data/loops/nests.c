/* Nests: collapse candidates, triangular loops, inner indices declared outside, lastprivate, privatization. */
#include <stdio.h>

#define N 300

static double A[N][N], B[N][N];
static double x[N * 4], y[N * 4];

void scale_2d(int n, int m) {
  int i, j;
  /* expect: parallel private(j) */
  for (i = 0; i < n; i++)
    /* expect: parallel */
    for (j = 0; j < m; j++)
      A[i][j] = A[i][j] * 0.5 + 1.0;
}

void triangular_update(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    /* expect: parallel */
    for (int j = i; j < n; j++)
      B[i][j] = A[i][j] + A[j][i];
}

void column_major_walk(int n) {
  /* expect: parallel */
  for (int j = 0; j < n; j++)
    /* expect: parallel */
    for (int i = 0; i < n; i++)
      B[i][j] = 2.0 * A[i][j];
}

double last_value(int n) {
  double t = 0;
  /* expect: parallel lastprivate(t) */
  for (int i = 0; i < n; i++) {
    t = x[i] * 2.0;
    y[i] = t + 1.0;
  }
  return t;
}

int index_after(int n) {
  int i;
  /* expect: parallel lastprivate(i) */
  for (i = 0; i < n; i++)
    y[i] = x[i] + 1.0;
  return i;
}

void temp_private(int n) {
  double t, u;
  /* expect: parallel private(t,u) */
  for (int i = 0; i < n; i++) {
    t = x[i] + 1.0;
    u = t * t;
    y[i] = u - t;
  }
}

double conditional_last(int n) {
  double t = 0;
  /* expect: serial */
  for (int i = 0; i < n; i++)
    if (x[i] > 2.0) t = x[i];
  return t;
}

void conditional_temp(int n) {
  double t = 0;
  /* expect: serial */
  for (int i = 0; i < n; i++) {
    if (x[i] > 2.0) t = x[i];
    y[i] = t;
  }
}

void three_deep(int n) {
  static double T[40][40][40];
  /* expect: parallel */
  for (int i = 0; i < 40; i++)
    /* expect: parallel */
    for (int j = 0; j < 40; j++)
      /* expect: parallel */
      for (int k = 0; k < 40; k++)
        T[i][j][k] = i + j * 0.5 + k * 0.25 + n;
  printf("%.2f\n", T[39][39][39]);
}

void time_steps(int n, int steps) {
  /* expect: serial */
  for (int t = 0; t < steps; t++) {
    /* expect: parallel */
    for (int i = 1; i < n - 1; i++)
      y[i] = 0.5 * (x[i - 1] + x[i + 1]);
    /* expect: parallel */
    for (int i = 1; i < n - 1; i++)
      x[i] = y[i];
  }
}

void inner_index_outside(int n) {
  int j;
  double s;
  /* expect: parallel private(j,s) */
  for (int i = 0; i < n; i++) {
    s = 0;
    for (j = 0; j < n; j++)
      s += A[i][j];
    y[i] = s;
  }
}

int main(void) {
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { A[i][j] = (i + 2 * j) % 9; B[i][j] = 0; }
  for (int i = 0; i < N * 4; i++) { x[i] = i % 5; y[i] = 0; }
  scale_2d(N, N); triangular_update(N); column_major_walk(N);
  double l = last_value(N * 4);
  int k = index_after(N * 4);
  temp_private(N * 4);
  double c = conditional_last(N * 4);
  conditional_temp(N * 4); three_deep(3); time_steps(N * 4, 5); inner_index_outside(N);
  double s = 0;
  for (int i = 0; i < N; i++) s += B[i][i] + y[i] + A[i][N - 1 - i];
  printf("%.3f %.3f %d %.3f\n", s, l, k, c);
  return 0;
}
