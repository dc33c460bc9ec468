/* taskloop over independent elements, then a serial sum after the taskloop's implicit taskgroup. */
#include <stdio.h>

#define N 2000
double v[N], w[N];

int main(void) {
  double sum = 0.0;
  for (int i = 0; i < N; i++) v[i] = i * 0.5;
#pragma omp parallel
#pragma omp single
  {
#pragma omp taskloop grainsize(100)
    for (int i = 0; i < N; i++)
      w[i] = 2.0 * v[i];
    for (int i = 0; i < N; i++)
      sum += w[i];
  }
  printf("sum %.1f\n", sum);
  return 0;
}
