/* Allocates and touches memory without bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  size_t total = 0;
  for (;;) {
    char *p = malloc(64 << 20);
    if (!p) { printf("malloc failed at %zu MB\n", total >> 20); return 5; }
    memset(p, 1, 64 << 20);
    total += 64 << 20;
  }
}
