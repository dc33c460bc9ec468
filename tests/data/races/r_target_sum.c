/* A target region run on the host: teams and threads all add into sum, mapped but not reduced. */
#include <stdio.h>

#define N 1000
double a[N];

int main(void) {
  double sum = 0.0;
  for (int i = 0; i < N; i++) a[i] = 0.5 * i;
#pragma omp target teams distribute parallel for map(to : a[0:N]) map(tofrom : sum)
  for (int i = 0; i < N; i++)
    sum += a[i]; /* race: sum */
  printf("sum %.1f\n", sum);
  return 0;
}
