/* A sum under simd without a reduction clause: the lanes update one shared accumulator. */
#include <stdio.h>

#define N 1024
double x[N];

int main(void) {
  double s = 0.0;
  for (int i = 0; i < N; i++) x[i] = 0.5 * i;
#pragma omp simd
  for (int i = 0; i < N; i++)
    s += x[i]; /* race: s */
  printf("s %.1f\n", s);
  return 0;
}
