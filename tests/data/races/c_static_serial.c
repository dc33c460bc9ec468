/* A function with a static counter is called only before the parallel loop, from one thread. */
#include <stdio.h>

#define N 1000
double out[N];

static int next_id(void) {
  static int id;
  id++;
  return id;
}

int main(void) {
  int base = 0;
  for (int k = 0; k < 4; k++) base = next_id();
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    out[i] = i + base;
  printf("out[1] %.1f\n", out[1]);
  return 0;
}
