/* A write that only some inputs trigger: every multiple of 7 in v records its index in one shared variable. */
#include <stdio.h>
#include <stdlib.h>

#define N 1000
int v[N];

int main(void) {
  int last_hit = -1;
  srand(12345);
  for (int i = 0; i < N; i++) v[i] = rand() % 1000;
#pragma omp parallel for
  for (int i = 0; i < N; i++) {
    if (v[i] % 7 == 0)
      last_hit = i; /* race: last_hit */
  }
  printf("hit %d\n", last_hit >= 0);
  return 0;
}
