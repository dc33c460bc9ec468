/* Atomic increments meet a plain reset in the middle of the loop. */
#include <stdio.h>

int main(void) {
  int ticks = 0;
#pragma omp parallel for
  for (int i = 0; i < 2000; i++) {
#pragma omp atomic
    ticks++; /* race: ticks */
    if (i == 1000)
      ticks = 0; /* race: ticks */
  }
  printf("ticks %d\n", ticks >= 0);
  return 0;
}
