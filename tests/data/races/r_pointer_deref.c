/* The sum is reached through a pointer, so the missing reduction is less visible: *out is shared. */
#include <stdio.h>

static void dot(const float *x, const float *y, int n, float *out) {
#pragma omp parallel for
  for (int i = 0; i < n; i++)
    *out += x[i] * y[i]; /* race: out */
}

int main(void) {
  float x[128], y[128], d = 0.0f;
  for (int i = 0; i < 128; i++) {
    x[i] = 1.0f;
    y[i] = 2.0f;
  }
  dot(x, y, 128, &d);
  printf("dot %.1f\n", d);
  return 0;
}
