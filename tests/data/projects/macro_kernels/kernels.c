#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include "kernels.h"

GRID(A);
GRID(B);
static REAL v[NX * 3];
static REAL w[NX];

static void init(void)
{
  int i, j;
  for (i = 0; i < NX; i++)
    for (j = 0; j < NY; j++) {
      A[i][j] = ((REAL) (i * j % 7) + LIT(1.0)) / (REAL) NX;
      B[i][j] = LIT(0.0);
    }
  for (i = 0; i < NX * 3; i++)
    v[i] = (REAL) (i % 11) / LIT(11.0);
}

static void smooth(int steps)
{
  int t, i, j;
  for (t = 0; t < steps; t++) {
    for (i = 1; i < NX - 1; i++)
      for (j = 1; j < NY - 1; j++)
        B[i][j] = LIT(0.2) * (A[i][j] + A[i - 1][j] + A[i + 1][j] + A[i][j - 1] + A[i][j + 1]);
    for (i = 1; i < NX - 1; i++)
      for (j = 1; j < NY - 1; j++)
        A[i][j] = B[i][j];
  }
}

static void norms(void)
{
  int i;
  CLEAR(w, NX);
  for (i = 0; i < NX; i++)
    w[i] = sqrt(DOT3(&v[3 * i], &v[3 * i])) + SQUARE((REAL) i) * LIT(1e-9);
}

int main(int argc, char **argv)
{
  int steps = argc > 1 ? atoi(argv[1]) : 40;
  int i;
  REAL sum = LIT(0.0);
  init();
  smooth(steps);
  norms();
  for (i = 0; i < NX; i++)
    sum += A[i][NY / 2] + w[i];
#ifdef VERBOSE
  for (i = 0; i < NX; i++)
    printf("%d %g\n", i, (double) w[i]);
#endif
  printf("checksum %.10e\n", (double) sum);
  return 0;
}
