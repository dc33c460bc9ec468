/* team_rows: a nearest-centre grouping written for a thread team, its directives left out (written for hpcagent's
   tests). Each pass assigns every sample to its nearest centre and adds the sample into its thread's own row of
   partial sums, partial[tid][c][d]; the rows are merged after the pass. Run serially, tid is 0 and row 0 holds
   everything. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static int nearest(const double *x, double **centre, int k, int dims)
{
  int best = 0;
  double best_d = INFINITY;
  for (int c = 0; c < k; c++) {
    double d = 0.0;
    for (int j = 0; j < dims; j++)
      d += (x[j] - centre[c][j]) * (x[j] - centre[c][j]);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

static double **table(int rows, int cols)
{
  double **t = malloc(sizeof *t * rows);
  t[0] = calloc((size_t)rows * cols, sizeof **t);
  for (int r = 1; r < rows; r++)
    t[r] = t[r - 1] + cols;
  return t;
}

int main(int argc, char **argv)
{
  int n = argc > 1 ? atoi(argv[1]) : 200000;
  int passes = argc > 2 ? atoi(argv[2]) : 10;
  int k = 24, dims = 16, i, j, c, t, who;
  int teams = omp_get_max_threads();
  double **x = table(n, dims), **centre = table(k, dims);
  double ***partial = malloc(sizeof *partial * teams);
  int **count = malloc(sizeof *count * teams);
  int *group = malloc(sizeof *group * n);
  for (t = 0; t < teams; t++) {
    partial[t] = table(k, dims);
    count[t] = calloc(k, sizeof **count);
  }
  for (i = 0; i < n; i++)
    for (j = 0; j < dims; j++)
      x[i][j] = sin(0.37 * i + 1.3 * j) + 0.5 * cos(0.011 * i * (j + 1));
  for (c = 0; c < k; c++)
    for (j = 0; j < dims; j++)
      centre[c][j] = x[c * 7][j];
  for (int pass = 0; pass < passes; pass++) {
    double moved = 0.0;
    {
      int tid = omp_get_thread_num();
      for (i = 0; i < n; i++) {
        who = nearest(x[i], centre, k, dims);
        if (pass > 0 && group[i] != who)
          moved += 1.0;
        group[i] = who;
        count[tid][who]++;
        for (j = 0; j < dims; j++)
          partial[tid][who][j] += x[i][j];
      }
    }
    for (c = 0; c < k; c++) {
      int total = 0;
      for (j = 0; j < dims; j++)
        centre[c][j] = 0.0;
      for (t = 0; t < teams; t++) {
        total += count[t][c];
        count[t][c] = 0;
        for (j = 0; j < dims; j++) {
          centre[c][j] += partial[t][c][j];
          partial[t][c][j] = 0.0;
        }
      }
      for (j = 0; j < dims; j++)
        centre[c][j] = total ? centre[c][j] / total : x[c][j];
    }
    printf("pass %d moved %.0f\n", pass, moved);
  }
  double check = 0.0;
  for (c = 0; c < k; c++)
    for (j = 0; j < dims; j++)
      check += centre[c][j] * (c + 1);
  printf("centres checksum %.9e\n", check);
  return 0;
}
