/* lastprivate gives the sequentially last value without a race. */
#include <stdio.h>

int main(void) {
  double a[100], last = 0.0;
#pragma omp parallel for lastprivate(last)
  for (int i = 0; i < 100; i++) {
    a[i] = i * 1.5;
    last = a[i];
  }
  printf("last %.1f\n", last);
  return 0;
}
