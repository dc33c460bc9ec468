/* The static scratch variable is threadprivate: each thread has its own copy. */
#include <stdio.h>

#define N 1000
double out[N];

static double scaled(int i) {
  static double tmp;
#pragma omp threadprivate(tmp)
  tmp = i * 0.5;
  return tmp + 1.0;
}

int main(void) {
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    out[i] = scaled(i);
  printf("out[N-1] %.1f\n", out[N - 1]);
  return 0;
}
