/* reduction(max:m): a maximum. */
#include <stdio.h>

int main(void) {
  int a[256], m = -1;
  for (int i = 0; i < 256; i++) a[i] = (i * 37) % 251;
#pragma omp parallel for reduction(max : m)
  for (int i = 0; i < 256; i++)
    if (a[i] > m) m = a[i];
  printf("max %d\n", m);
  return 0;
}
