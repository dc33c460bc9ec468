/* for nowait, then a single that sums the array: the summing thread does not wait for the others' writes. */
#include <stdio.h>

#define N 512
double a[N];

int main(void) {
  double total = 0.0;
#pragma omp parallel
  {
#pragma omp for nowait
    for (int i = 0; i < N; i++)
      a[i] = i * 0.25; /* race: a */
#pragma omp single
    for (int i = 0; i < N; i++)
      total += a[i]; /* race: a */
  }
  printf("total %.1f\n", total);
  return 0;
}
