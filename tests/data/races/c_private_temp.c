/* The temporary is private to each thread. */
#include <stdio.h>

#define N 256
double x[N], y[N];

int main(void) {
  double t;
  for (int i = 0; i < N; i++) x[i] = i * 0.5;
#pragma omp parallel for private(t)
  for (int i = 0; i < N; i++) {
    t = x[i] * 2.0;
    y[i] = t + 1.0;
  }
  printf("y[N-1] %.1f\n", y[N - 1]);
  return 0;
}
