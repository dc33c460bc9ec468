/* Only threads 2 and up write peak: with two threads nothing races, with four two writers race. */
#include <omp.h>
#include <stdio.h>

int main(void) {
  int peak = 0;
  double local[16] = {0};
#pragma omp parallel
  {
    int me = omp_get_thread_num();
    local[me] = me * 1.5;
    if (me >= 2)
      peak = me; /* race: peak */
  }
  printf("local[0] %.1f peak %d\n", local[0], peak >= 0);
  return 0;
}
