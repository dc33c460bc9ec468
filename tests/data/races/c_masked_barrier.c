/* masked, then an explicit barrier before anyone reads what thread 0 wrote. */
#include <omp.h>
#include <stdio.h>

double out[64];

int main(void) {
  double step = 0.0;
#pragma omp parallel num_threads(4)
  {
#pragma omp masked
    step = 0.125;
#pragma omp barrier
    out[omp_get_thread_num()] = step * 8;
  }
  printf("out[0] %.1f\n", out[0]);
  return 0;
}
