/* A shared output index k: b[k++] compacts the positive values, k is shared by all threads. */
#include <stdio.h>

#define N 300
int a[N], b[N];

int main(void) {
  int k = 0;
  for (int i = 0; i < N; i++) a[i] = (i % 2) ? i : -i;
#pragma omp parallel for
  for (int i = 0; i < N; i++) {
    if (a[i] > 0)
      b[k++] = a[i]; /* race: k (and b through k) */
  }
  printf("kept %d\n", k);
  return 0;
}
