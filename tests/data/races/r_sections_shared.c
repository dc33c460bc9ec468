/* Two sections write the same variable. */
#include <stdio.h>

int main(void) {
  int owner = 0;
  double v[100];
#pragma omp parallel sections num_threads(2)
  {
#pragma omp section
    {
      owner = 1; /* race: owner */
      for (int i = 0; i < 50; i++) v[i] = i;
    }
#pragma omp section
    {
      for (int i = 50; i < 100; i++) v[i] = i;
      owner = 2; /* race: owner */
    }
  }
  printf("owner %d v[99] %.0f\n", owner > 0, v[99]);
  return 0;
}
