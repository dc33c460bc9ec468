/* A hand-made barrier: each thread bumps a plain counter and spins until all have arrived. Lost updates or a
   hoisted read keep it spinning forever. */
#include <omp.h>
#include <stdio.h>

int arrived;

int main(void) {
  int done[64] = {0};
#pragma omp parallel
  {
    int team = omp_get_num_threads();
    arrived++; /* race: arrived */
    while (arrived < team) /* race: arrived */
      ;
    done[omp_get_thread_num()] = 1;
  }
  printf("done[0] %d\n", done[0]);
  return 0;
}
