/* masked (like master) has no barrier: the others read step while thread 0 may still be writing it. */
#include <omp.h>
#include <stdio.h>

double out[64];

int main(void) {
  double step = 0.0;
#pragma omp parallel num_threads(4)
  {
#pragma omp masked
    step = 0.125; /* race: step */
    out[omp_get_thread_num()] = step * 8; /* race: step */
  }
  printf("out[0] %.1f\n", out[0]);
  return 0;
}
