/* Wanting the last iteration's value but writing it to a shared variable instead of lastprivate. */
#include <stdio.h>

int main(void) {
  double a[100], last = 0.0;
#pragma omp parallel for
  for (int i = 0; i < 100; i++) {
    a[i] = i * 1.5;
    last = a[i]; /* race: last */
  }
  printf("last %.1f\n", last);
  return 0;
}
