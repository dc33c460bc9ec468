/* simd lanes run consecutive iterations together: iteration i + 1 reads a[i + 1] while lane i writes it. */
#include <stdio.h>

#define N 1024
float a[N + 1], b[N];

int main(void) {
  for (int i = 0; i < N; i++) {
    a[i] = i;
    b[i] = 1.0f;
  }
#pragma omp simd
  for (int i = 0; i < N; i++)
    a[i + 1] = a[i] + b[i]; /* race: a */
  printf("a[N] %.1f\n", a[N]);
  return 0;
}
