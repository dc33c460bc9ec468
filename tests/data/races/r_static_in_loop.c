/* A static declared inside the parallel loop body is not private: it is one variable for the whole program. */
#include <stdio.h>

#define N 1000
double x[N], y[N];

int main(void) {
  for (int i = 0; i < N; i++) x[i] = i;
#pragma omp parallel for
  for (int i = 0; i < N; i++) {
    static double t;
    t = x[i] * 3.0; /* race: t */
    y[i] = t - 1.0;
  }
  printf("y[N-1] %.1f\n", y[N - 1]);
  return 0;
}
