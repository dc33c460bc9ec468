/* A missing reduction: every thread adds to the shared `total`. */
#include <stdio.h>
#define N 20000
static double a[N];
int main(void) {
  double total = 0.0;
  for (int i = 0; i < N; i++) a[i] = 0.5 * i;
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    total += a[i];
  printf("%.1f\n", total);
  return 0;
}
