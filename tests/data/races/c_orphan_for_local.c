/* An orphaned for whose temporary and partial sum are locals of the function: private to each thread. */
#include <stdio.h>

#define N 1000
double v[N], w[N];
double total;

static void scale_and_sum(double factor) {
  double t, part = 0.0;
#pragma omp for
  for (int i = 0; i < N; i++) {
    t = v[i] * factor;
    w[i] = t;
    part += t;
  }
#pragma omp atomic
  total += part;
}

int main(void) {
  for (int i = 0; i < N; i++) v[i] = 0.25 * i;
#pragma omp parallel
  scale_and_sum(2.0);
  printf("total %.1f\n", total);
  return 0;
}
