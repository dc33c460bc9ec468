/* a[i] reads a[i + 64]: with n = 100 iterations 0..35 read what iterations 64..99 write. */
#include <stdio.h>

#define SIZE 200
double a[SIZE];

int main(void) {
  int n = 100;
  for (int i = 0; i < SIZE; i++) a[i] = i;
#pragma omp parallel for
  for (int i = 0; i < n; i++)
    a[i] = 0.5 * a[i + 64]; /* race: a */
  printf("a[0] %.1f\n", a[0]);
  return 0;
}
