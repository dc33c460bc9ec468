/* Two sections fill different halves and set different flags. */
#include <stdio.h>

int main(void) {
  int lo_done = 0, hi_done = 0;
  double v[100];
#pragma omp parallel sections num_threads(2)
  {
#pragma omp section
    {
      for (int i = 0; i < 50; i++) v[i] = i;
      lo_done = 1;
    }
#pragma omp section
    {
      for (int i = 50; i < 100; i++) v[i] = i;
      hi_done = 1;
    }
  }
  printf("done %d %d v[99] %.0f\n", lo_done, hi_done, v[99]);
  return 0;
}
