/* Recurrences, prefix sums and loops that carry values between iterations. */
#include <stdio.h>

#define N 4000

static double a[N], b[N], c[N];
static long f[N];

void prefix_sum(int n) {
  /* expect: serial */
  for (int i = 1; i < n; i++)
    a[i] = a[i - 1] + b[i];
}

void fibonacci(int n) {
  f[0] = 0;
  f[1] = 1;
  /* expect: serial */
  for (int i = 2; i < n; i++)
    f[i] = (f[i - 1] + f[i - 2]) % 1000007;
}

void first_order(int n) {
  double x = 1.0;
  /* expect: serial */
  for (int i = 0; i < n; i++) {
    x = 0.5 * x + b[i];
    c[i] = x;
  }
}

void stride_two_dep(int n) {
  /* expect: serial */
  for (int i = 2; i < n; i++)
    a[i] = a[i - 2] * 0.5;
}

void forward_copy(int n) {
  /* expect: parallel */
  for (int i = 0; i < n - 1; i++)
    b[i] = a[i + 1];
}

void anti_dependence(int n) {
  /* expect: serial */
  for (int i = 0; i < n - 1; i++)
    a[i] = a[i + 1] + c[i];
}

void far_apart(void) {
  /* expect: parallel */
  for (int i = 0; i < N / 2; i++)
    a[i] = a[i + N / 2] * 2.0;
}

void scaled_index(int n) {
  /* expect: parallel */
  for (int i = 0; i < n / 4; i++)
    a[4 * i] = a[4 * i + 2] + 1.0;
}

void gcd_independent(int n) {
  /* expect: parallel */
  for (int i = 0; i < n / 4; i++)
    c[2 * i] = c[2 * i + 1] + a[i];
}

void overlap_scaled(int n) {
  /* expect: serial */
  for (int i = 1; i < n / 2; i++)
    a[2 * i] = a[i] + 1.0;
}

void fixed_element(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    a[i] = a[0] + b[i];
}

void fixed_outside(int n) {
  /* expect: parallel */
  for (int i = 1; i < n; i++)
    b[i] = a[0] + a[i];
}

void write_first(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    a[0] += b[i];
}

void induction(int n) {
  int k = 0;
  /* expect: serial */
  for (int i = 0; i < n; i++) {
    if (b[i] > 0.5) {
      c[k] = b[i];
      k++;
    }
  }
  printf("%d\n", k);
}

void reverse_loop(int n) {
  /* expect: serial */
  for (int i = n - 2; i >= 0; i--)
    a[i] = a[i + 1] * 0.9 + b[i];
}

void reverse_parallel(int n) {
  /* expect: parallel */
  for (int i = n - 1; i >= 0; i--)
    c[i] = a[i] * b[i];
}

void wavefront(void) {
  static double g[200][200];
  /* expect: serial */
  for (int i = 1; i < 200; i++)
    /* expect: serial */
    for (int j = 1; j < 200; j++)
      g[i][j] = g[i - 1][j] + g[i][j - 1] + 1.0;
  printf("%.1f\n", g[199][199]);
}

int main(void) {
  for (int i = 0; i < N; i++) { a[i] = i % 9 * 0.1; b[i] = (i * 7 % 11) * 0.1; c[i] = 0; }
  prefix_sum(N); fibonacci(N); first_order(N); stride_two_dep(N); forward_copy(N);
  anti_dependence(N); far_apart(); scaled_index(N); gcd_independent(N); overlap_scaled(N);
  fixed_element(N); fixed_outside(N); write_first(N); induction(N); reverse_loop(N); reverse_parallel(N);
  wavefront();
  double s = 0;
  for (int i = 0; i < N; i++) s += a[i] + b[i] + c[i] + f[i] % 7;
  printf("%.6e\n", s);
  return 0;
}
