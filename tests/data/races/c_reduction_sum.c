/* reduction(+:s): the race-free form of a sum. */
#include <stdio.h>

int main(void) {
  int a[256];
  long s = 0;
  for (int i = 0; i < 256; i++) a[i] = i;
#pragma omp parallel for reduction(+ : s)
  for (int i = 0; i < 256; i++)
    s += a[i];
  printf("sum %ld\n", s);
  return 0;
}
