/* An indirect subscript that is a permutation: every iteration updates its own element of a. */
#include <stdio.h>

#define N 401
double a[N], w[N];
int idx[N];

int main(void) {
  for (int i = 0; i < N; i++) {
    idx[i] = (i * 7) % N; /* 7 and 401 are coprime: a permutation */
    w[i] = 0.5 * i;
  }
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    a[idx[i]] += w[i];
  printf("a[7] %.1f\n", a[7]);
  return 0;
}
