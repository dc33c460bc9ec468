/* Hand-made partition with an off-by-one: each thread also writes the first element of the next chunk. */
#include <omp.h>
#include <stdio.h>

#define N 256
double a[N + 1];

int main(void) {
#pragma omp parallel
  {
    int nt = omp_get_num_threads(), me = omp_get_thread_num();
    int chunk = N / nt;
    for (int i = me * chunk; i <= (me + 1) * chunk; i++)
      a[i] = i * 2.0; /* race: a */
  }
  printf("a[N/2] %.1f\n", a[N / 2]);
  return 0;
}
