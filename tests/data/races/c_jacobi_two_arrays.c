/* Out-of-place smoothing: read from one array, write to another, then swap roles. */
#include <stdio.h>

#define N 1000
double a[N], b[N];

int main(void) {
  for (int i = 0; i < N; i++) a[i] = b[i] = i % 10;
  for (int sweep = 0; sweep < 4; sweep++) {
#pragma omp parallel for
    for (int i = 1; i < N - 1; i++)
      b[i] = (a[i - 1] + a[i] + a[i + 1]) / 3.0;
#pragma omp parallel for
    for (int i = 1; i < N - 1; i++)
      a[i] = b[i];
  }
  printf("a[N/2] %.3f\n", a[N / 2]);
  return 0;
}
