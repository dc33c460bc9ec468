/* Two threads take turns through a plain turn variable: a ping-pong that can stall when the reads are hoisted. */
#include <omp.h>
#include <stdio.h>

int turn;
long rounds[2];

int main(void) {
#pragma omp parallel num_threads(2)
  {
    int me = omp_get_thread_num();
    for (int k = 0; k < 50; k++) {
      while (turn != me) /* race: turn */
        ;
      rounds[me]++;
      turn = 1 - me; /* race: turn */
    }
  }
  printf("rounds %ld\n", rounds[0] + rounds[1]);
  return 0;
}
