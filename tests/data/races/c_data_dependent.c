/* The same data-dependent test, but each hit is recorded in its own element. */
#include <stdio.h>
#include <stdlib.h>

#define N 1000
int v[N];
char hit[N];

int main(void) {
  int count = 0;
  srand(12345);
  for (int i = 0; i < N; i++) v[i] = rand() % 1000;
#pragma omp parallel for
  for (int i = 0; i < N; i++) {
    if (v[i] % 7 == 0)
      hit[i] = 1;
  }
  for (int i = 0; i < N; i++) count += hit[i];
  printf("hits %d\n", count);
  return 0;
}
