/* Two sections end by writing the same variable; the optimizer merges the two stores into one with no line. */
#include <stdio.h>

int main(void) {
  int flag = 0;
  double v[100];
#pragma omp parallel sections num_threads(2)
  {
#pragma omp section
    {
      for (int i = 0; i < 50; i++) v[i] = i;
      flag = 1; /* race: flag */
    }
#pragma omp section
    {
      for (int i = 50; i < 100; i++) v[i] = i;
      flag = 2; /* race: flag */
    }
  }
  printf("flag %d v[99] %.0f\n", flag > 0, v[99]);
  return 0;
}
