/* Sibling tasks add into one variable, each update atomic. */
#include <stdio.h>

int main(void) {
  long sum = 0;
#pragma omp parallel
#pragma omp single
  {
    for (int i = 0; i < 64; i++) {
#pragma omp task shared(sum) firstprivate(i)
      {
#pragma omp atomic
        sum += i;
      }
    }
  }
  printf("sum %ld\n", sum);
  return 0;
}
