/* Forks without bound; reports the first failure it sees, then keeps children alive. */
#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
int main(void) {
  for (int i = 0; i < 100000; i++) {
    pid_t p = fork();
    if (p < 0) { printf("fork failed after %d children: %s\n", i, strerror(errno)); fflush(stdout); return 4; }
    if (p == 0) { pause(); return 0; }
  }
  puts("forked 100000 children");
  return 0;
}
