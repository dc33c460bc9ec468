/* parallel for simd on a recurrence: threads and lanes both split a chain where each element needs the last. */
#include <stdio.h>

#define N 2048
double y[N];

int main(void) {
  y[0] = 1.0;
  for (int i = 1; i < N; i++) y[i] = 0.0;
#pragma omp parallel for simd
  for (int i = 1; i < N; i++)
    y[i] = 0.5 * y[i - 1] + 1.0; /* race: y */
  printf("y[N-1] %.3f\n", y[N - 1]);
  return 0;
}
