/* taskloop without a reduction: the tasks it makes all add into the shared sum. */
#include <stdio.h>

#define N 2000
double v[N];

int main(void) {
  double sum = 0.0;
  for (int i = 0; i < N; i++) v[i] = i * 0.5;
#pragma omp parallel
#pragma omp single
#pragma omp taskloop grainsize(100)
  for (int i = 0; i < N; i++)
    sum += v[i]; /* race: sum */
  printf("sum %.1f\n", sum);
  return 0;
}
