/* The update and the read that tests it are in one critical section. */
#include <stdio.h>

int main(void) {
  int count = 0, milestones = 0;
#pragma omp parallel for
  for (int i = 0; i < 2000; i++) {
#pragma omp critical
    {
      count++;
      if (count % 100 == 0)
        milestones++;
    }
  }
  printf("count %d milestones %d\n", count, milestones);
  return 0;
}
