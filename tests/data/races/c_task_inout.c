/* A chain of tasks that each update x, ordered by depend(inout: x). */
#include <stdio.h>

int main(void) {
  int x = 1;
#pragma omp parallel num_threads(2)
#pragma omp single
  {
    for (int k = 0; k < 8; k++) {
#pragma omp task shared(x) firstprivate(k) depend(inout : x)
      x = x * 2 + k;
    }
#pragma omp taskwait
  }
  printf("x %d\n", x);
  return 0;
}
