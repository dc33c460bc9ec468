/* A per-lane temporary, made private, and an inner product under parallel for simd with its reduction. */
#include <stdio.h>

#define N 1024
double x[N], y[N], z[N];

int main(void) {
  double t, dot = 0.0;
  for (int i = 0; i < N; i++) {
    x[i] = i;
    y[i] = 0.5;
  }
#pragma omp simd private(t)
  for (int i = 0; i < N; i++) {
    t = x[i] * x[i];
    z[i] = t + y[i];
  }
#pragma omp parallel for simd reduction(+ : dot)
  for (int i = 0; i < N; i++)
    dot += z[i] * y[i];
  printf("dot %.1f\n", dot);
  return 0;
}
