/* A histogram on the heap updated without atomic: different i often hit the same bin. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  int n = 400;
  int *hist = calloc(8, sizeof *hist);
  if (!hist) return 1;
#pragma omp parallel for
  for (int i = 0; i < n; i++)
    hist[(i * 7) % 8]++; /* race: hist */
  printf("bin0 %d\n", hist[0]);
  free(hist);
  return 0;
}
