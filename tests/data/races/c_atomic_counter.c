/* A shared counter done right: every update is atomic. */
#include <stdio.h>

int count;

int main(void) {
#pragma omp parallel for
  for (int i = 0; i < 300; i++) {
    if (i % 3 == 0) {
#pragma omp atomic
      count++;
    }
  }
  printf("count %d\n", count);
  return 0;
}
