/* safelen(8) promises iterations up to 8 apart may run together, but the dependence distance is 2. */
#include <stdio.h>

#define N 1024
int a[N];

int main(void) {
  for (int i = 0; i < N; i++) a[i] = i;
#pragma omp simd safelen(8)
  for (int i = 2; i < N; i++)
    a[i] = a[i - 2] + 3; /* race: a */
  printf("a[N-1] %d\n", a[N - 1]);
  return 0;
}
