/* firstprivate copies the offset into each thread; each thread then changes its own copy. */
#include <stdio.h>

int main(void) {
  int offset = 10;
  int out[200];
#pragma omp parallel for firstprivate(offset)
  for (int i = 0; i < 200; i++) {
    offset += 0;
    out[i] = i + offset;
  }
  printf("out[199] %d offset %d\n", out[199], offset);
  return 0;
}
