/* The best value is compared outside the lock and written inside it: the comparison reads it unprotected. */
#include <omp.h>
#include <stdio.h>

int main(void) {
  int best = -1;
  omp_lock_t lock;
  omp_init_lock(&lock);
#pragma omp parallel for
  for (int i = 0; i < 1000; i++) {
    int v = (i * 7919) % 1009;
    if (v > best) { /* race: best */
      omp_set_lock(&lock);
      if (v > best) best = v;
      omp_unset_lock(&lock);
    }
  }
  omp_destroy_lock(&lock);
  printf("best %d\n", best);
  return 0;
}
