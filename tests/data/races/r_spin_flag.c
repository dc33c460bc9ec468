/* A hand-made signal: thread 0 sets a plain flag after some work, the others spin on it. Without atomics the
   compiler may read the flag once and spin forever, so the racy program can hang; the race check must stop it and
   still report. The payload is read with nothing ordering it after the write either. */
#include <omp.h>
#include <stdio.h>
#include <unistd.h>

int flag;
double payload;

int main(void) {
  double got[64] = {0};
#pragma omp parallel
  {
    if (omp_get_thread_num() == 0) {
      usleep(20000);
      payload = 3.5; /* race: payload */
      flag = 1; /* race: flag */
    } else {
      while (!flag) /* race: flag */
        ;
      got[omp_get_thread_num()] = payload; /* race: payload */
    }
  }
  printf("got[1] %.1f\n", got[1]);
  return 0;
}
