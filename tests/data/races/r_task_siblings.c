/* Sibling tasks all add into one shared variable with no atomic, dependence or taskwait between them. */
#include <stdio.h>

static long work(int i) {
  long w = 0;
  for (int k = 0; k < 2000; k++) w += (k ^ i) & 3;
  return w;
}

int main(void) {
  long sum = 0;
#pragma omp parallel num_threads(2)
#pragma omp single
  {
    for (int i = 0; i < 16; i++) {
#pragma omp task shared(sum)
      sum += work(i); /* race: sum */
    }
  }
  printf("sum %ld\n", sum);
  return 0;
}
