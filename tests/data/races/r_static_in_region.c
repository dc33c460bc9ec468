/* Every thread of the team writes the same static local. */
#include <omp.h>
#include <stdio.h>

int seen[64];

int main(void) {
#pragma omp parallel
  {
    static int me;
    me = omp_get_thread_num(); /* race: me */
    seen[omp_get_thread_num()] = 1;
  }
  printf("seen[0] %d\n", seen[0]);
  return 0;
}
