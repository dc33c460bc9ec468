/* Two sections use a scratch variable that is private to each section. */
#include <stdio.h>

int main(void) {
  double lo = 0.0, hi = 0.0, scratch = 0.0;
#pragma omp parallel sections private(scratch) num_threads(2)
  {
#pragma omp section
    {
      for (int i = 0; i < 50; i++) {
        scratch = i * 0.5;
        lo += scratch;
      }
    }
#pragma omp section
    {
      for (int i = 50; i < 100; i++) {
        scratch = i * 0.5;
        hi += scratch;
      }
    }
  }
  printf("lo %.1f hi %.1f\n", lo, hi);
  return 0;
}
