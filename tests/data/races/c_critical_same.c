/* Both updates of total are in critical sections of the same name. */
#include <omp.h>
#include <stdio.h>

double total;

int main(void) {
#pragma omp parallel num_threads(2)
  {
    for (int i = 0; i < 50; i++) {
      if (omp_get_thread_num() == 0) {
#pragma omp critical(acc)
        total += 1.0;
      } else {
#pragma omp critical(acc)
        total += 2.0;
      }
    }
  }
  printf("total %.1f\n", total);
  return 0;
}
