/* Loop-carried dependence: iteration i writes a[i+1], which iteration i+1 reads and writes. */
#include <stdio.h>

#define N 200
double a[N + 1];

int main(void) {
  for (int i = 0; i <= N; i++) a[i] = i;
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    a[i + 1] = a[i] + 1.0; /* race: a */
  printf("a[N] %.1f\n", a[N]);
  return 0;
}
