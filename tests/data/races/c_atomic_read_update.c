/* Every access to level is atomic: updates, and the reads that sample it. */
#include <stdio.h>

int main(void) {
  int level = 0, high = 0;
#pragma omp parallel for reduction(max : high)
  for (int i = 0; i < 2000; i++) {
    int seen;
#pragma omp atomic
    level += (i % 3) - 1;
#pragma omp atomic read
    seen = level;
    if (seen > high) high = seen;
  }
  printf("level %d high %d\n", level, high >= 0);
  return 0;
}
