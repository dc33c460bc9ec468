/* Accumulating into a struct field through a pointer: st->total is shared. */
#include <stdio.h>

struct stats {
  double total;
  int n;
};

static void accumulate(struct stats *st, const double *x, int n) {
#pragma omp parallel for
  for (int i = 0; i < n; i++)
    st->total += x[i]; /* race: st->total */
}

int main(void) {
  double x[200];
  struct stats st = {0.0, 200};
  for (int i = 0; i < 200; i++) x[i] = 1.0;
  accumulate(&st, x, st.n);
  printf("total %.1f\n", st.total);
  return 0;
}
