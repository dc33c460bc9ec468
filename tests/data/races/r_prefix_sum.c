/* A running total written out element by element: p[i] needs p[i - 1]. */
#include <stdio.h>

#define N 1000
long p[N], x[N];

int main(void) {
  for (int i = 0; i < N; i++) x[i] = i % 5;
  p[0] = x[0];
#pragma omp parallel for
  for (int i = 1; i < N; i++)
    p[i] = p[i - 1] + x[i]; /* race: p */
  printf("p[N-1] %ld\n", p[N - 1]);
  return 0;
}
