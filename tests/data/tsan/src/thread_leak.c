/* A joinable thread that is never joined: TSan reports a thread leak. */
#include <pthread.h>
#include <stdio.h>

static void *idle(void *arg) { return arg; }

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, idle, NULL);
  pthread_create(&t, NULL, idle, NULL);
  pthread_join(t, NULL);
  printf("done\n");
  return 0;
}
