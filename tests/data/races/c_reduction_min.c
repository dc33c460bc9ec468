/* reduction(min:lo): a minimum. */
#include <stdio.h>

int main(void) {
  double x[256], lo = 1e30;
  for (int i = 0; i < 256; i++) x[i] = 100.0 - (i % 50);
#pragma omp parallel for reduction(min : lo)
  for (int i = 0; i < 256; i++)
    lo = x[i] < lo ? x[i] : lo;
  printf("min %.1f\n", lo);
  return 0;
}
