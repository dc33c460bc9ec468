/* A target region with a parallel loop inside: count is mapped tofrom and incremented by every thread. */
#include <stdio.h>

#define N 1000
int v[N];

int main(void) {
  int count = 0;
  for (int i = 0; i < N; i++) v[i] = i % 3;
#pragma omp target map(to : v[0:N]) map(tofrom : count)
  {
#pragma omp parallel for
    for (int i = 0; i < N; i++)
      count += v[i]; /* race: count */
  }
  printf("count %d\n", count);
  return 0;
}
