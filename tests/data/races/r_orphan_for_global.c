/* An orphaned for in a function called from a parallel region sums into a global with no reduction. */
#include <stdio.h>

#define N 1000
double v[N];
double total;

static void accumulate(void) {
#pragma omp for
  for (int i = 0; i < N; i++)
    total += v[i]; /* race: total */
}

int main(void) {
  for (int i = 0; i < N; i++) v[i] = 0.25 * i;
#pragma omp parallel
  accumulate();
  printf("total %.1f\n", total);
  return 0;
}
