/* nowait is safe here: the second loop touches only arrays the first does not write. */
#include <stdio.h>

#define N 256
double a[N], b[N], c[N], d[N];

int main(void) {
  for (int i = 0; i < N; i++) a[i] = c[i] = i;
#pragma omp parallel
  {
#pragma omp for nowait
    for (int i = 0; i < N; i++)
      b[i] = 2.0 * a[i];
#pragma omp for nowait
    for (int i = 0; i < N; i++)
      d[i] = c[N - 1 - i] + 1.0;
  }
  printf("b[1] %.1f d[0] %.1f\n", b[1], d[0]);
  return 0;
}
