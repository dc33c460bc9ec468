/* Reading a[i+1] is fine when the loop writes a different array. */
#include <stdio.h>

#define N 200
double a[N + 1], b[N];

int main(void) {
  for (int i = 0; i <= N; i++) a[i] = i;
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    b[i] = a[i + 1] - a[i];
  printf("b[0] %.1f\n", b[0]);
  return 0;
}
