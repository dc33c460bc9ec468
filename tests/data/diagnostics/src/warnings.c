#include <stdio.h>

static int unused_helper(int x) { return x; }

int main(void) {
  int unused;
  double d = 3.7;
  int *p = 0;
  printf("%d\n", d);
  return p == 0;
}
