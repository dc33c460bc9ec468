/* Two differently named critical sections guard the same variable, so they do not exclude each other. */
#include <omp.h>
#include <stdio.h>

double total;
int inside;

int main(void) {
#pragma omp parallel num_threads(2)
  {
    /* Each thread stays in its critical section until the other is in its own: possible only because the
       names differ. It also makes the overlap certain, which TSan needs: Archer passes every critical
       section through one internal mutex, so sections that merely follow each other look ordered. */
    int team = omp_get_num_threads();
    if (omp_get_thread_num() == 0) {
#pragma omp critical(left)
      {
        total += 1.0; /* race: total */
#pragma omp atomic
        inside++;
        for (int seen = 0; seen < team;) {
#pragma omp atomic read
          seen = inside;
        }
      }
    } else {
#pragma omp critical(right)
      {
        total += 2.0; /* race: total */
#pragma omp atomic
        inside++;
        for (int seen = 0; seen < team;) {
#pragma omp atomic read
          seen = inside;
        }
      }
    }
  }
  printf("total %.1f\n", total);
  return 0;
}
