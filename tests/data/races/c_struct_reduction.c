/* Accumulate into a local reduction variable and store it in the struct afterwards. */
#include <stdio.h>

struct stats {
  double total;
  int n;
};

static void accumulate(struct stats *st, const double *x, int n) {
  double t = 0.0;
#pragma omp parallel for reduction(+ : t)
  for (int i = 0; i < n; i++)
    t += x[i];
  st->total = t;
}

int main(void) {
  double x[200];
  struct stats st = {0.0, 200};
  for (int i = 0; i < 200; i++) x[i] = 1.0;
  accumulate(&st, x, st.n);
  printf("total %.1f\n", st.total);
  return 0;
}
