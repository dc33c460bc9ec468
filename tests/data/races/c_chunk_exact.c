/* The hand-made partition done right: half-open chunks, the last thread takes the remainder. */
#include <omp.h>
#include <stdio.h>

#define N 256
double a[N + 1];

int main(void) {
#pragma omp parallel
  {
    int nt = omp_get_num_threads(), me = omp_get_thread_num();
    int chunk = N / nt;
    int end = me == nt - 1 ? N + 1 : (me + 1) * chunk;
    for (int i = me * chunk; i < end; i++)
      a[i] = i * 2.0;
  }
  printf("a[N/2] %.1f\n", a[N / 2]);
  return 0;
}
