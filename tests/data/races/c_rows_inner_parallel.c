/* The rows stay serial; the parallel loop runs across each row, where the elements are independent. */
#include <stdio.h>

#define N 128
double g[N][N];

int main(void) {
  for (int j = 0; j < N; j++) g[0][j] = j;
  for (int i = 1; i < N; i++) {
#pragma omp parallel for
    for (int j = 0; j < N; j++)
      g[i][j] = g[i - 1][j] + 1.0;
  }
  printf("g[N-1][3] %.1f\n", g[N - 1][3]);
  return 0;
}
