/* master has no implied barrier: the other threads read limit while the master writes it. */
#include <omp.h>
#include <stdio.h>

int main(void) {
  int limit = 0;
  int seen[8] = {0};
#pragma omp parallel num_threads(2)
  {
#pragma omp master
    limit = 100; /* race: limit */
    seen[omp_get_thread_num()] = limit; /* race: limit */
  }
  printf("seen %d\n", seen[0]);
  return 0;
}
