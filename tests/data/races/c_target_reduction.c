/* The offloaded sum with a reduction over teams and threads. */
#include <stdio.h>

#define N 1000
double a[N];

int main(void) {
  double sum = 0.0;
  for (int i = 0; i < N; i++) a[i] = 0.5 * i;
#pragma omp target teams distribute parallel for map(to : a[0:N]) map(tofrom : sum) reduction(+ : sum)
  for (int i = 0; i < N; i++)
    sum += a[i];
  printf("sum %.1f\n", sum);
  return 0;
}
