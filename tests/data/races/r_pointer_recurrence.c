/* A recurrence through a pointer parameter: x[i] depends on x[i - 1], written by another thread. */
#include <stdio.h>

#define N 1000

static void decay(double *x, int n) {
#pragma omp parallel for
  for (int i = 1; i < n; i++)
    x[i] = 0.5 * x[i - 1] + x[i]; /* race: x */
}

int main(void) {
  static double data[N];
  for (int i = 0; i < N; i++) data[i] = 1.0;
  decay(data, N);
  printf("data[N-1] %.3f\n", data[N - 1]);
  return 0;
}
