/* Tasks fill separate slots inside a taskgroup; the parent reads them only after the group ends. */
#include <stdio.h>

static long slow(int n) {
  long s = 0;
  for (int k = 0; k < n; k++) s += k % 7;
  return s;
}

int main(void) {
  long part[8], total = 0;
#pragma omp parallel num_threads(2)
#pragma omp single
  {
#pragma omp taskgroup
    {
      for (int t = 0; t < 8; t++) {
#pragma omp task shared(part) firstprivate(t)
        part[t] = slow(1000 + t);
      }
    }
    for (int t = 0; t < 8; t++) total += part[t];
  }
  printf("total %ld\n", total);
  return 0;
}
