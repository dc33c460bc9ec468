/* Tickets handed out with atomic capture: each iteration gets a distinct slot. */
#include <stdio.h>

#define N 1000
int slot_of[N], taken[N];

int main(void) {
  int next = 0, sum = 0;
#pragma omp parallel for
  for (int i = 0; i < N; i++) {
    int mine;
#pragma omp atomic capture
    mine = next++;
    taken[mine] = i;
    slot_of[i] = mine;
  }
  for (int i = 0; i < N; i++) sum += taken[slot_of[i]] == i;
  printf("ok %d\n", sum);
  return 0;
}
