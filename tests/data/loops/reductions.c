/* Reductions of every kind, and accumulations that are not reductions. */
#include <math.h>
#include <stdio.h>

#define N 5000

static double a[N], b[N];
static int flags[N], bits[N];

double sum_all(int n) {
  double s = 0;
  /* expect: reduction reduction(+:s) */
  for (int i = 0; i < n; i++)
    s += a[i];
  return s;
}

double sum_expanded(int n) {
  double s = 0;
  /* expect: reduction reduction(+:s) */
  for (int i = 0; i < n; i++)
    s = s + a[i] * b[i];
  return s;
}

double sum_left(int n) {
  double s = 0;
  /* expect: reduction reduction(+:s) */
  for (int i = 0; i < n; i++)
    s = a[i] + s;
  return s;
}

double minus_sum(int n) {
  double s = 1000.0;
  /* expect: reduction reduction(-:s) */
  for (int i = 0; i < n; i++)
    s -= b[i];
  return s;
}

double product(int n) {
  double p = 1.0;
  /* expect: reduction reduction(*:p) */
  for (int i = 0; i < n; i++)
    p *= 1.0 + a[i] * 1e-6;
  return p;
}

int all_set(int n) {
  int ok = 1;
  /* expect: reduction reduction(&&:ok) */
  for (int i = 0; i < n; i++)
    ok = ok && flags[i];
  return ok;
}

int any_set(int n) {
  int found = 0;
  /* expect: reduction reduction(||:found) */
  for (int i = 0; i < n; i++)
    found = found || (bits[i] > 40);
  return found;
}

int and_bits(int n) {
  int m = ~0;
  /* expect: reduction reduction(&:m) */
  for (int i = 0; i < n; i++)
    m &= bits[i] | 1;
  return m;
}

int or_bits(int n) {
  int m = 0;
  /* expect: reduction reduction(|:m) */
  for (int i = 0; i < n; i++)
    m |= bits[i];
  return m;
}

int xor_bits(int n) {
  int m = 0;
  /* expect: reduction reduction(^:m) */
  for (int i = 0; i < n; i++)
    m ^= bits[i];
  return m;
}

double max_if(int n) {
  double m = a[0];
  /* expect: reduction reduction(max:m) */
  for (int i = 1; i < n; i++)
    if (a[i] > m) m = a[i];
  return m;
}

double min_if(int n) {
  double m = a[0];
  /* expect: reduction reduction(min:m) */
  for (int i = 1; i < n; i++) {
    if (m > b[i]) {
      m = b[i];
    }
  }
  return m;
}

double max_fmax(int n) {
  double m = -1e300;
  /* expect: reduction reduction(max:m) */
  for (int i = 0; i < n; i++)
    m = fmax(m, a[i] - b[i]);
  return m;
}

double min_ternary(int n) {
  double m = 1e300;
  /* expect: reduction reduction(min:m) */
  for (int i = 0; i < n; i++)
    m = (a[i] < m) ? a[i] : m;
  return m;
}

int count_positive(int n) {
  int c = 0;
  /* expect: reduction reduction(+:c) */
  for (int i = 0; i < n; i++)
    if (a[i] > b[i]) c++;
  return c;
}

void two_sums(int n, double *out) {
  double s = 0, q = 0;
  /* expect: reduction reduction(+:q) reduction(+:s) */
  for (int i = 0; i < n; i++) {
    s += a[i];
    q += a[i] * a[i];
  }
  out[0] = s;
  out[1] = q;
}

double norm2(int n) {
  double s = 0;
  /* expect: reduction reduction(+:s) */
  for (int i = 0; i < n; i++)
    s += sqrt(fabs(a[i]));
  return s;
}

int argmax(int n) {
  double m = a[0];
  int at = 0;
  /* expect: serial */
  for (int i = 1; i < n; i++)
    if (a[i] > m) { m = a[i]; at = i; }
  return at;
}

double mixed_ops(int n) {
  double s = 1.0;
  /* expect: serial */
  for (int i = 0; i < n; i++)
    s = s * 0.5 + a[i];
  return s;
}

double running(int n) {
  double s = 0;
  /* expect: serial */
  for (int i = 0; i < n; i++) {
    s += a[i];
    b[i] = s;
  }
  return s;
}

double divide_chain(int n) {
  double s = 1e6;
  /* expect: serial */
  for (int i = 0; i < n; i++)
    s = a[i] - s;
  return s;
}

double max_with_else(int n) {
  double m = 0;
  /* expect: serial */
  for (int i = 0; i < n; i++) {
    if (a[i] > m) m = a[i];
    else m = m * 0.99;
  }
  return m;
}

int main(void) {
  for (int i = 0; i < N; i++) {
    a[i] = (i * 37 % 101) * 0.01; b[i] = (i * 13 % 17) * 0.1;
    flags[i] = (i % 97) != 96 || i < N; bits[i] = (i * 7) % 64;
  }
  double out[2];
  two_sums(N, out);
  printf("%.6f %.6f %.6f %.6f %.9f\n", sum_all(N), sum_expanded(N), sum_left(N), minus_sum(N), product(N));
  printf("%d %d %d %d %d\n", all_set(N), any_set(N), and_bits(N), or_bits(N), xor_bits(N));
  printf("%.3f %.3f %.3f %.3f %d\n", max_if(N), min_if(N), max_fmax(N), min_ternary(N), count_positive(N));
  printf("%.6f %.6f %.6f %d\n", out[0], out[1], norm2(N), argmax(N));
  printf("%.6f %.6f %.6f %.6f\n", mixed_ops(N), running(N), divide_chain(N), max_with_else(N));
  return 0;
}
