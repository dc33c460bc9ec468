/* single nowait: the other threads read the value before the single thread is guaranteed to have written it. */
#include <omp.h>
#include <stdio.h>

int main(void) {
  int scale = 0;
  int out[8] = {0};
#pragma omp parallel num_threads(2)
  {
#pragma omp single nowait
    scale = 3; /* race: scale */
    int me = omp_get_thread_num();
    out[me] = scale * 2; /* race: scale */
  }
  printf("out %d %d\n", out[0] >= 0, out[1] >= 0);
  return 0;
}
