/* A for inside a parallel region: the temporary is declared before the region, so the team shares it. */
#include <stdio.h>

#define N 1000
double x[N], y[N];

int main(void) {
  double t;
  for (int i = 0; i < N; i++) x[i] = i;
#pragma omp parallel
  {
#pragma omp for
    for (int i = 0; i < N; i++) {
      t = 2.0 * x[i]; /* race: t */
      y[i] = t * t; /* race: t */
    }
  }
  printf("y[N-1] %.1f\n", y[N - 1]);
  return 0;
}
