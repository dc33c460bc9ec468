/* reduction(-:d): each thread starts from 0 and the partial sums are added. */
#include <stdio.h>

int main(void) {
  long d = 0;
#pragma omp parallel for reduction(- : d)
  for (int i = 0; i < 300; i++)
    d -= i;
  printf("d %ld\n", d);
  return 0;
}
