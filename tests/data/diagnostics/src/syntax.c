#include <stdio.h>

int main(void) {
  int n = 10
  printf("%d\n", n + undeclared);
  return 0;
}
