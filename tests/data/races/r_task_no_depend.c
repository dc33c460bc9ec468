/* A producer task and a consumer task with no depend clause between them: they may run at the same time. */
#include <stdio.h>

int main(void) {
  int x = 0, y = 0;
#pragma omp parallel num_threads(2)
#pragma omp single
  {
#pragma omp task shared(x)
    x = 42; /* race: x */
#pragma omp task shared(x, y)
    y = x + 1; /* race: x */
#pragma omp taskwait
  }
  printf("y %d\n", y > 0);
  return 0;
}
