/* Two locks guard the same total: iterations holding different locks update it together. */
#include <omp.h>
#include <stdio.h>

int main(void) {
  double total = 0.0;
  omp_lock_t lock[2];
  omp_init_lock(&lock[0]);
  omp_init_lock(&lock[1]);
#pragma omp parallel for
  for (int i = 0; i < 1000; i++) {
    omp_set_lock(&lock[i % 2]);
    total += i * 0.5; /* race: total */
    omp_unset_lock(&lock[i % 2]);
  }
  omp_destroy_lock(&lock[0]);
  omp_destroy_lock(&lock[1]);
  printf("total %.1f\n", total);
  return 0;
}
