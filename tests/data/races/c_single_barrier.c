/* single keeps its implied barrier, so everyone reads scale after it is written. */
#include <omp.h>
#include <stdio.h>

int main(void) {
  int scale = 0;
  int out[8] = {0};
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    scale = 3;
    out[omp_get_thread_num()] = scale * 2;
  }
  printf("out %d %d\n", out[0], out[1]);
  return 0;
}
