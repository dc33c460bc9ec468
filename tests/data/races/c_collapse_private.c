/* collapse(2) with the temporary private and the inner index covered by the collapse. */
#include <stdio.h>

#define N 64
double a[N][N], b[N][N];

int main(void) {
  double t;
  int i, j;
  for (i = 0; i < N; i++)
    for (j = 0; j < N; j++) a[i][j] = i - j;
#pragma omp parallel for collapse(2) private(t)
  for (i = 0; i < N; i++)
    for (j = 0; j < N; j++) {
      t = a[i][j] * a[i][j];
      b[i][j] = t + 1.0;
    }
  printf("b[1][2] %.1f\n", b[1][2]);
  return 0;
}
