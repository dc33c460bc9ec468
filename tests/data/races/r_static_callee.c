/* A static local in a function called from a parallel loop is one variable for every thread. At -O1 the store
   is forwarded to the load and the dead static removed, so a TSan build has no access left to see. */
#include <stdio.h>

#define N 1000
double out[N];

static double scaled(int i) {
  static double tmp;
  tmp = i * 0.5; /* race: tmp */
  return tmp + 1.0;
}

int main(void) {
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    out[i] = scaled(i);
  printf("out[N-1] %.1f\n", out[N - 1]);
  return 0;
}
