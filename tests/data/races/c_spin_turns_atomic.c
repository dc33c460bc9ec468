/* The ping-pong with atomic reads and writes of turn. */
#include <omp.h>
#include <stdio.h>

int turn;
long rounds[2];

int main(void) {
#pragma omp parallel num_threads(2)
  {
    int me = omp_get_thread_num();
    for (int k = 0; k < 50; k++) {
      int now = -1;
      while (now != me) {
#pragma omp atomic read seq_cst
        now = turn;
      }
      rounds[me]++;
#pragma omp atomic write seq_cst
      turn = 1 - me;
    }
  }
  printf("rounds %ld\n", rounds[0] + rounds[1]);
  return 0;
}
