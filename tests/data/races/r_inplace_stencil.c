/* An in-place smoothing sweep: iteration i reads a[i - 1], which iteration i - 1 writes. */
#include <stdio.h>

#define N 1000
double a[N];

int main(void) {
  for (int i = 0; i < N; i++) a[i] = i % 10;
#pragma omp parallel for
  for (int i = 1; i < N - 1; i++)
    a[i] = (a[i - 1] + a[i] + a[i + 1]) / 3.0; /* race: a */
  printf("a[N/2] %.3f\n", a[N / 2]);
  return 0;
}
