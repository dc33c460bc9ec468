/* reduction(&&) and reduction(||): all-positive and any-zero flags. */
#include <stdio.h>

int main(void) {
  int a[200];
  int all_pos = 1, any_zero = 0;
  for (int i = 0; i < 200; i++) a[i] = i;
#pragma omp parallel for reduction(&& : all_pos) reduction(|| : any_zero)
  for (int i = 0; i < 200; i++) {
    all_pos = all_pos && a[i] > 0;
    any_zero = any_zero || a[i] == 0;
  }
  printf("all_pos %d any_zero %d\n", all_pos, any_zero);
  return 0;
}
