/* The heap histogram with every bin update atomic. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  int n = 400;
  int *hist = calloc(8, sizeof *hist);
  if (!hist) return 1;
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
#pragma omp atomic
    hist[(i * 7) % 8]++;
  }
  printf("bin0 %d\n", hist[0]);
  free(hist);
  return 0;
}
