/* A temporary declared outside the parallel loop is shared: each thread overwrites the others' value. */
#include <stdio.h>

#define N 256
double x[N], y[N];

int main(void) {
  double t;
  for (int i = 0; i < N; i++) x[i] = i * 0.5;
#pragma omp parallel for
  for (int i = 0; i < N; i++) {
    t = x[i] * 2.0; /* race: t */
    y[i] = t + 1.0; /* race: t */
  }
  printf("y[N-1] %.1f\n", y[N - 1]);
  return 0;
}
