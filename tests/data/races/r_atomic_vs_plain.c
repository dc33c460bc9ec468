/* One loop updates x atomically, but a concurrent plain read of x is not protected. */
#include <omp.h>
#include <stdio.h>

int x;

int main(void) {
  int snapshot[8] = {0};
#pragma omp parallel num_threads(2)
  {
    if (omp_get_thread_num() == 0) {
      for (int i = 0; i < 100; i++) {
#pragma omp atomic
        x += 1; /* race: x (atomic side) */
      }
    } else {
      snapshot[1] = x; /* race: x (plain read) */
    }
  }
  printf("x %d snap %d\n", x, snapshot[1] >= 0);
  return 0;
}
