/* One update of hits is in a critical section, the other atomic: the two do not exclude each other. */
#include <stdio.h>

int main(void) {
  long hits = 0;
#pragma omp parallel for
  for (int i = 0; i < 2000; i++) {
    if (i % 2) {
#pragma omp critical
      hits += 2; /* race: hits */
    } else {
#pragma omp atomic
      hits += 1; /* race: hits */
    }
  }
  printf("hits %ld\n", hits);
  return 0;
}
