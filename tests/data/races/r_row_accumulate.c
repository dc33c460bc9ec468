/* Every row is added into row 0 of the same 2-D array: g[0][j] is written by all threads. */
#include <stdio.h>

#define R 32
#define C 16
int g[R][C];

int main(void) {
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++) g[i][j] = 1;
#pragma omp parallel for
  for (int i = 1; i < R; i++)
    for (int j = 0; j < C; j++)
      g[0][j] += g[i][j]; /* race: g */
  printf("g[0][0] %d\n", g[0][0]);
  return 0;
}
