/* A static lookup table, only read in the parallel loop. */
#include <stdio.h>

#define N 1000
int out[N];

static int weight(int i) {
  static const int table[4] = {1, 3, 5, 7};
  return table[i % 4];
}

int main(void) {
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    out[i] = weight(i) * i;
  printf("out[N-1] %d\n", out[N - 1]);
  return 0;
}
