/* An indirect subscript with repeated targets: idx sends two iterations to each element of a. */
#include <stdio.h>

#define N 400
double a[N / 2], w[N];
int idx[N];

int main(void) {
  for (int i = 0; i < N; i++) {
    idx[i] = (i * 7) % (N / 2);
    w[i] = 0.5 * i;
  }
#pragma omp parallel for
  for (int i = 0; i < N; i++)
    a[idx[i]] += w[i]; /* race: a */
  printf("a[0] %.1f\n", a[0]);
  return 0;
}
