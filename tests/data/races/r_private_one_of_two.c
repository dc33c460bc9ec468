/* private(t) covers one temporary, but u is left shared. */
#include <stdio.h>

#define N 1000
double x[N], y[N];

int main(void) {
  double t, u;
  for (int i = 0; i < N; i++) x[i] = i;
#pragma omp parallel for private(t)
  for (int i = 0; i < N; i++) {
    t = x[i] * x[i];
    u = t + 1.0; /* race: u */
    y[i] = u * 0.5; /* race: u */
  }
  printf("y[N-1] %.1f\n", y[N - 1]);
  return 0;
}
