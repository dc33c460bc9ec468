/* The same loop at n = 64: no iteration writes an element another reads. */
#include <stdio.h>

#define SIZE 200
double a[SIZE];

int main(void) {
  for (int i = 0; i < SIZE; i++) a[i] = i;
#pragma omp parallel for
  for (int i = 0; i < 64; i++)
    a[i] = 0.5 * a[i + 64];
  printf("a[0] %.1f\n", a[0]);
  return 0;
}
