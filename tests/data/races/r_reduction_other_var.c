/* s is a reduction, but the loop also counts into t, which is not. */
#include <stdio.h>

int main(void) {
  double s = 0.0;
  int t = 0;
#pragma omp parallel for reduction(+ : s)
  for (int i = 0; i < 256; i++) {
    s += i * 0.5;
    t += 1; /* race: t */
  }
  printf("s %.1f t %d\n", s, t);
  return 0;
}
