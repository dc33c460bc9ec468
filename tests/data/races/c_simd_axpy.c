/* simd on an element-wise update: every lane owns its element. */
#include <stdio.h>

#define N 1024
float x[N], y[N];

int main(void) {
  float alpha = 2.0f;
  for (int i = 0; i < N; i++) {
    x[i] = i;
    y[i] = 1.0f;
  }
#pragma omp simd
  for (int i = 0; i < N; i++)
    y[i] = alpha * x[i] + y[i];
  printf("y[N-1] %.1f\n", y[N - 1]);
  return 0;
}
