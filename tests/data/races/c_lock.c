/* An OpenMP lock guards the shared list length and the slot it writes. */
#include <omp.h>
#include <stdio.h>

int main(void) {
  int list[300], len = 0;
  omp_lock_t lock;
  omp_init_lock(&lock);
#pragma omp parallel for
  for (int i = 0; i < 300; i++) {
    if (i % 4 == 0) {
      omp_set_lock(&lock);
      list[len++] = i;
      omp_unset_lock(&lock);
    }
  }
  omp_destroy_lock(&lock);
  printf("len %d\n", len);
  return 0;
}
