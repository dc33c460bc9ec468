/* count is updated inside critical, but read outside it: the read may meet another thread's update in its critical section. */
#include <stdio.h>

int main(void) {
  int count = 0, milestones = 0;
#pragma omp parallel for reduction(+ : milestones)
  for (int i = 0; i < 2000; i++) {
#pragma omp critical
    count++; /* race: count */
    if (count % 100 == 0) /* race: count */
      milestones++;
  }
  printf("count %d milestones %d\n", count, milestones >= 0);
  return 0;
}
