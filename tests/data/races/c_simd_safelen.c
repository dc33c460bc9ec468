/* The dependence distance is 8 and safelen(4) keeps concurrent lanes closer than that. */
#include <stdio.h>

#define N 1024
int a[N];

int main(void) {
  for (int i = 0; i < N; i++) a[i] = i;
#pragma omp simd safelen(4)
  for (int i = 8; i < N; i++)
    a[i] = a[i - 8] + 3;
  printf("a[N-1] %d\n", a[N - 1]);
  return 0;
}
