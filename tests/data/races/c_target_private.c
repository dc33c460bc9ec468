/* The target temporary made private to each iteration's thread. */
#include <stdio.h>

#define N 1000
double x[N], y[N];

int main(void) {
  double t = 0.0;
  for (int i = 0; i < N; i++) x[i] = i;
#pragma omp target parallel for map(to : x[0:N]) map(from : y[0:N]) private(t)
  for (int i = 0; i < N; i++) {
    t = x[i] * 2.0;
    y[i] = t + 1.0;
  }
  printf("y[N-1] %.1f\n", y[N - 1]);
  return 0;
}
