/* A thread frees a buffer that another thread still writes: TSan calls it heap-use-after-free. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int *buf;

static void *writer(void *arg) {
  (void)arg;
  usleep(50000);
  buf[0] = 42;
  return NULL;
}

int main(void) {
  pthread_t t;
  buf = malloc(16 * sizeof *buf);
  pthread_create(&t, NULL, writer, NULL);
  free(buf);
  pthread_join(t, NULL);
  printf("done\n");
  return 0;
}
