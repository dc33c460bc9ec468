/* The parent reads the task's result before the taskwait that would order it. */
#include <stdio.h>

static long slow(int n) {
  long s = 0;
  for (int k = 0; k < n; k++) s += k % 7;
  return s;
}

int main(void) {
  long result = 0, seen = 0;
#pragma omp parallel num_threads(2)
#pragma omp single
  {
#pragma omp task shared(result)
    result = slow(5000); /* race: result */
    seen = result; /* race: result */
#pragma omp taskwait
  }
  printf("seen %d result %ld\n", seen >= 0, result);
  return 0;
}
