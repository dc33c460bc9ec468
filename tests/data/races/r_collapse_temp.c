/* collapse(2) with a temporary declared outside the nest: every thread writes the same t. */
#include <stdio.h>

#define N 64
double a[N][N], b[N][N];

int main(void) {
  double t;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) a[i][j] = i - j;
#pragma omp parallel for collapse(2)
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      t = a[i][j] * a[i][j]; /* race: t */
      b[i][j] = t + 1.0; /* race: t */
    }
  printf("b[1][2] %.1f\n", b[1][2]);
  return 0;
}
