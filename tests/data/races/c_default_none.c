/* default(none) with every variable's sharing spelled out. */
#include <stdio.h>

#define N 1000

int main(void) {
  static double x[N];
  double t, s = 0.0;
  int n = N;
  for (int i = 0; i < N; i++) x[i] = i * 0.5;
#pragma omp parallel for default(none) shared(x, n) private(t) reduction(+ : s)
  for (int i = 0; i < n; i++) {
    t = x[i] * 2.0;
    s += t;
  }
  printf("s %.1f\n", s);
  return 0;
}
