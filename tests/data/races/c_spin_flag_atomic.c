/* The hand-made signal with seq_cst atomics: the flag orders the payload and the spin always sees the write. */
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
      payload = 3.5;
#pragma omp atomic write seq_cst
      flag = 1;
    } else {
      int seen = 0;
      while (!seen) {
#pragma omp atomic read seq_cst
        seen = flag;
      }
      got[omp_get_thread_num()] = payload;
    }
  }
  printf("got[1] %.1f\n", got[1]);
  return 0;
}
