/* A temporary declared outside the target loop is one variable for the whole device region: the threads share it. */
#include <stdio.h>

#define N 1000
double x[N], y[N];

int main(void) {
  double t = 0.0;
  for (int i = 0; i < N; i++) x[i] = i;
#pragma omp target parallel for map(to : x[0:N]) map(from : y[0:N])
  for (int i = 0; i < N; i++) {
    t = x[i] * 2.0; /* race: t */
    y[i] = t + 1.0; /* race: t */
  }
  printf("y[N-1] %.1f\n", y[N - 1]);
  return 0;
}
