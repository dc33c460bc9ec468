/* master followed by an explicit barrier before the other threads read. */
#include <omp.h>
#include <stdio.h>

int main(void) {
  int limit = 0;
  int seen[8] = {0};
#pragma omp parallel num_threads(2)
  {
#pragma omp master
    limit = 100;
#pragma omp barrier
    seen[omp_get_thread_num()] = limit;
  }
  printf("seen %d %d\n", seen[0], seen[1]);
  return 0;
}
