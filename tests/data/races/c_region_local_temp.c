/* A for inside a parallel region with the temporary declared inside the region: each thread has its own. */
#include <stdio.h>

#define N 1000
double x[N], y[N];

int main(void) {
  for (int i = 0; i < N; i++) x[i] = i;
#pragma omp parallel
  {
    double t;
#pragma omp for
    for (int i = 0; i < N; i++) {
      t = 2.0 * x[i];
      y[i] = t * t;
    }
  }
  printf("y[N-1] %.1f\n", y[N - 1]);
  return 0;
}
