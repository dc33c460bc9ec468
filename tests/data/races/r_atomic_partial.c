/* The atomic covers hits but not misses: misses is updated without protection. */
#include <stdio.h>

int main(void) {
  int hits = 0, misses = 0;
#pragma omp parallel for
  for (int i = 0; i < 300; i++) {
    if (i % 2 == 0) {
#pragma omp atomic
      hits++;
    } else {
      misses++; /* race: misses */
    }
  }
  printf("hits %d misses %d\n", hits, misses);
  return 0;
}
