/* ordered runs the append in iteration order, one thread at a time. */
#include <stdio.h>

int main(void) {
  int seq[100], n = 0;
#pragma omp parallel for ordered
  for (int i = 0; i < 100; i++) {
    int v = i * i;
#pragma omp ordered
    seq[n++] = v;
  }
  printf("n %d seq[99] %d\n", n, seq[99]);
  return 0;
}
