/* Two static loops with the same iteration count hand each thread the same iterations, so nowait is safe. */
#include <stdio.h>

#define N 512
double a[N], b[N];

int main(void) {
#pragma omp parallel
  {
#pragma omp for schedule(static) nowait
    for (int i = 0; i < N; i++)
      a[i] = i * 0.5;
#pragma omp for schedule(static) nowait
    for (int i = 0; i < N; i++)
      b[i] = a[i] + 1.0;
  }
  printf("b[N-1] %.1f\n", b[N - 1]);
  return 0;
}
