#include <stdio.h>

double kernel(double x);

int main(void) {
  printf("%f\n", kernel(2.0));
  return 0;
}
