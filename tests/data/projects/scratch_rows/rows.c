/* scratch_rows: each output row is computed through a small scratch buffer that every iteration of the row loop
   fills before reading (written for hpcagent's tests: the privatization a per-thread copy needs). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define TAPS 16

static double smooth_row(const double *in, int n, int r)
{
  double s = 0.0;
  for (int k = 0; k < n; k++)
    s += in[k] * cos(0.001 * (k + r));
  return s;
}

int main(int argc, char **argv)
{
  int rows = argc > 1 ? atoi(argv[1]) : 2000;
  int cols = argc > 2 ? atoi(argv[2]) : 2000;
  double *grid = malloc(sizeof *grid * rows * cols);
  double *out = malloc(sizeof *out * rows);
  double buf[TAPS];
  if (!grid || !out)
    return 1;
  for (int i = 0; i < rows * cols; i++)
    grid[i] = (i % 97) / 97.0;
  for (int r = 0; r < rows; r++) {
    for (int t = 0; t < TAPS; t++)
      buf[t] = smooth_row(&grid[(size_t)r * cols], cols, r + t);
    double best = buf[0];
    for (int t = 1; t < TAPS; t++)
      if (buf[t] > best)
        best = buf[t];
    out[r] = best;
  }
  double sum = 0.0;
  for (int r = 0; r < rows; r++)
    sum += out[r];
  printf("rows %d checksum %.8e\n", rows, sum);
  free(grid);
  free(out);
  return 0;
}
