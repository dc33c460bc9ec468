/* The parallel loop runs down the rows, but each row is built from the row above it. */
#include <stdio.h>

#define N 128
double g[N][N];

int main(void) {
  for (int j = 0; j < N; j++) g[0][j] = j;
#pragma omp parallel for
  for (int i = 1; i < N; i++)
    for (int j = 0; j < N; j++)
      g[i][j] = g[i - 1][j] + 1.0; /* race: g */
  printf("g[N-1][3] %.1f\n", g[N - 1][3]);
  return 0;
}
