/* Tasks write separate slots; taskwait orders them before the sum is read. */
#include <stdio.h>

int main(void) {
  long part[64];
  long sum = 0;
#pragma omp parallel
#pragma omp single
  {
    for (int i = 0; i < 64; i++) {
#pragma omp task shared(part) firstprivate(i)
      part[i] = (long)i * i;
    }
#pragma omp taskwait
    for (int i = 0; i < 64; i++) sum += part[i];
  }
  printf("sum %ld\n", sum);
  return 0;
}
