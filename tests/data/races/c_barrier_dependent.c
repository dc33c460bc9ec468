/* The same two loops as the nowait case, but the implicit barrier after the first is kept. */
#include <stdio.h>

#define N 256
double a[N], b[N], c[N];

int main(void) {
  for (int i = 0; i < N; i++) a[i] = i;
#pragma omp parallel
  {
#pragma omp for
    for (int i = 0; i < N; i++)
      b[i] = 2.0 * a[i];
#pragma omp for
    for (int i = 0; i < N; i++)
      c[i] = b[N - 1 - i] + 1.0;
  }
  printf("c[0] %.1f\n", c[0]);
  return 0;
}
