/* The hand-made barrier with an atomic counter and atomic reads. */
#include <omp.h>
#include <stdio.h>

int arrived;

int main(void) {
  int done[64] = {0};
#pragma omp parallel
  {
    int team = omp_get_num_threads(), seen = 0;
#pragma omp atomic update seq_cst
    arrived++;
    while (seen < team) {
#pragma omp atomic read seq_cst
      seen = arrived;
    }
    done[omp_get_thread_num()] = 1;
  }
  printf("done[0] %d\n", done[0]);
  return 0;
}
