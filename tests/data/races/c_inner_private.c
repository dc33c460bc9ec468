/* The inner index is declared in the loop (so private) and the outer loop writes distinct rows. */
#include <stdio.h>

#define N 64
double m[N][N], v[N], r[N];

int main(void) {
  for (int i = 0; i < N; i++) {
    v[i] = 1.0;
    for (int c = 0; c < N; c++) m[i][c] = i + c;
  }
#pragma omp parallel for
  for (int i = 0; i < N; i++) {
    double acc = 0.0;
    for (int j = 0; j < N; j++)
      acc += m[i][j] * v[j];
    r[i] = acc;
  }
  printf("r[0] %.1f\n", r[0]);
  return 0;
}
