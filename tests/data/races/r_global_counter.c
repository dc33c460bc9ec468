/* A global counter incremented without atomic or critical. */
#include <stdio.h>

int count;

int main(void) {
#pragma omp parallel for
  for (int i = 0; i < 200; i++) {
    if (i % 3 == 0)
      count++; /* race: count */
  }
  printf("count %d\n", count);
  return 0;
}
