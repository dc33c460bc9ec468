/* single with copyprivate: one thread computes the value and every thread gets it before going on. */
#include <omp.h>
#include <stdio.h>

int main(void) {
  int out[64] = {0};
#pragma omp parallel
  {
    int scale;
#pragma omp single copyprivate(scale)
    scale = 3;
    out[omp_get_thread_num()] = scale * 2;
  }
  printf("out[0] %d\n", out[0]);
  return 0;
}
