/* Two differently named critical sections guard the same variable, so they do not exclude each other. */
#include <omp.h>
#include <stdio.h>

double total;

int main(void) {
  /* One update per thread: Archer passes every critical section through one internal mutex, so repeated
     entries would order the threads in TSan's eyes and hide the race. */
#pragma omp parallel num_threads(2)
  {
    if (omp_get_thread_num() == 0) {
#pragma omp critical(left)
      total += 1.0; /* race: total */
    } else {
#pragma omp critical(right)
      total += 2.0; /* race: total */
    }
  }
  printf("total %.1f\n", total);
  return 0;
}
