/* An element-wise offloaded update (2-D, collapsed): every iteration owns its element. */
#include <stdio.h>

#define N 64
float x[N][N], y[N][N];

int main(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      x[i][j] = i + j;
      y[i][j] = 1.0f;
    }
#pragma omp target teams distribute parallel for collapse(2) map(to : x) map(tofrom : y)
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      y[i][j] = 2.0f * x[i][j] + y[i][j];
  printf("y[N-1][N-1] %.1f\n", y[N - 1][N - 1]);
  return 0;
}
