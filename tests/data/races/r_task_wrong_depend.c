/* The consumer depends on b, but the producer wrote a: the depend clauses name different variables. */
#include <stdio.h>

int main(void) {
  int a = 0, b = 0, c = 0;
#pragma omp parallel num_threads(2)
#pragma omp single
  {
#pragma omp task shared(a) depend(out : a)
    a = 7; /* race: a */
#pragma omp task shared(a, c) depend(in : b)
    c = a * 2; /* race: a */
#pragma omp taskwait
  }
  printf("c %d b %d\n", c >= 0, b);
  return 0;
}
