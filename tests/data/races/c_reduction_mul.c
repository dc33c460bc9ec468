/* reduction(*:p): a product. */
#include <stdio.h>

int main(void) {
  double p = 1.0;
#pragma omp parallel for reduction(* : p)
  for (int i = 0; i < 200; i++)
    p *= (i % 2) ? 1.01 : 0.99;
  printf("prod %.6f\n", p);
  return 0;
}
