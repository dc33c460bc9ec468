/* The same write by threads 2 and up, made atomic. */
#include <omp.h>
#include <stdio.h>

int main(void) {
  int peak = 0;
  double local[16] = {0};
#pragma omp parallel
  {
    int me = omp_get_thread_num();
    local[me] = me * 1.5;
    if (me >= 2) {
#pragma omp atomic write
      peak = me;
    }
  }
  printf("local[0] %.1f peak %d\n", local[0], peak >= 0);
  return 0;
}
