/* Producer and consumer ordered by depend(out: x) then depend(in: x). */
#include <stdio.h>

int main(void) {
  int x = 0, y = 0;
#pragma omp parallel num_threads(2)
#pragma omp single
  {
#pragma omp task shared(x) depend(out : x)
    x = 42;
#pragma omp task shared(x, y) depend(in : x)
    y = x + 1;
#pragma omp taskwait
  }
  printf("y %d\n", y);
  return 0;
}
