/* A recurrence offloaded anyway: iteration i writes the element iteration i + 1 reads. */
#include <stdio.h>

#define N 1000
int a[N + 1];

int main(void) {
  for (int i = 0; i <= N; i++) a[i] = i;
#pragma omp target teams distribute parallel for map(tofrom : a[0:N + 1])
  for (int i = 0; i < N; i++)
    a[i + 1] = a[i] + 1; /* race: a */
  printf("a[N] %d\n", a[N]);
  return 0;
}
