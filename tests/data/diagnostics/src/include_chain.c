#include <stdio.h>
#include "chain.h"

int main(void) {
  printf("%d\n", twice(3));
  return 0;
}
