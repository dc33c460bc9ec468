/* Odd elements are written from even ones only: no iteration writes what another reads. */
#include <stdio.h>

#define N 500
double a[2 * N + 1];

int main(void) {
  for (int i = 0; i <= 2 * N; i++) a[i] = i;
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    a[2 * i + 1] = 0.5 * (a[2 * i] + a[2 * i + 2]);
  printf("a[1] %.1f\n", a[1]);
  return 0;
}
