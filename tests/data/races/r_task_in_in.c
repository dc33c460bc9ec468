/* Both tasks declare depend(in: x) but both write x: two in dependences do not order each other. */
#include <stdio.h>

int main(void) {
  int x = 1;
#pragma omp parallel num_threads(2)
#pragma omp single
  {
#pragma omp task shared(x) depend(in : x)
    x += 10; /* race: x */
#pragma omp task shared(x) depend(in : x)
    x *= 3; /* race: x */
#pragma omp taskwait
  }
  printf("x %d\n", x > 0);
  return 0;
}
