/* Missing reduction: every thread adds into the shared stack variable s. */
#include <stdio.h>

int main(void) {
  int a[256];
  int s = 0;
  for (int i = 0; i < 256; i++) a[i] = i;
#pragma omp parallel for
  for (int i = 0; i < 256; i++)
    s += a[i]; /* race: s */
  printf("sum %d\n", s);
  return 0;
}
