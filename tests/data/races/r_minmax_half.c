/* reduction(max: hi) is there, but lo is a minimum computed with no reduction. */
#include <stdio.h>

#define N 1000
int v[N];

int main(void) {
  int hi = -1, lo = 1 << 30;
  for (int i = 0; i < N; i++) v[i] = N - i;
#pragma omp parallel for reduction(max : hi)
  for (int i = 0; i < N; i++) {
    if (v[i] > hi) hi = v[i];
    if (v[i] < lo) lo = v[i]; /* race: lo */
  }
  printf("hi %d lo %d\n", hi, lo);
  return 0;
}
