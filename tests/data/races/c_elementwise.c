/* The simplest parallel loop: each iteration writes its own element. */
#include <stdio.h>

#define N 512
float a[N], b[N], c[N];

int main(void) {
  for (int i = 0; i < N; i++) {
    b[i] = i;
    c[i] = 2 * i;
  }
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    a[i] = b[i] + c[i];
  printf("a[N-1] %.0f\n", a[N - 1]);
  return 0;
}
