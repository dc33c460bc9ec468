/* A call counter kept in a static local, incremented from every thread of the loop. */
#include <stdio.h>

#define N 1000
double out[N];

static double work(int i) {
  static long calls;
  calls++; /* race: calls */
  return i * 2.0 + (calls > 0);
}

int main(void) {
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    out[i] = work(i);
  printf("out[1] %.1f\n", out[1]);
  return 0;
}
