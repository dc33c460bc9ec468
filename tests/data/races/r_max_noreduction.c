/* A running maximum without reduction(max:...): increasing data makes every thread update m. */
#include <stdio.h>

#define N 256
int a[N];

int main(void) {
  int m = -1;
  for (int i = 0; i < N; i++) a[i] = i;
#pragma omp parallel for
  for (int i = 0; i < N; i++) {
    if (a[i] > m) /* race: m */
      m = a[i]; /* race: m */
  }
  printf("max %d\n", m);
  return 0;
}
