/* Does not compile: an undeclared variable and a missing semicolon. */
#include <stdio.h>
int main(void) {
  int x = 1
  printf("%d\n", x + y);
  return 0;
}
