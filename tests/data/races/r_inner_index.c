/* The inner loop index j is declared outside the parallel loop, so it is shared. */
#include <stdio.h>

#define N 64
double m[N][N], v[N], r[N];

int main(void) {
  int j;
  for (int i = 0; i < N; i++) {
    v[i] = 1.0;
    for (int c = 0; c < N; c++) m[i][c] = i + c;
  }
#pragma omp parallel for
  for (int i = 0; i < N; i++) {
    double acc = 0.0;
    for (j = 0; j < N; j++) /* race: j */
      acc += m[i][j] * v[j];
    r[i] = acc;
  }
  printf("r[0] %.1f\n", r[0]);
  return 0;
}
