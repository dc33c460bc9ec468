/* Helpers that read and write the elements they are handed: a random generator with one state per item, a setter,
   a getter; where the caller passes the loop index, where it passes a shifted or fixed one. */
#include <math.h>
#include <stdio.h>

#define N 4000
#define MOD 2147483647

static double x[N], y[N];
static int seed[N];
static double grid[64][N / 64];

static double uniform(int *state, int k)
{
  long next = (1103515245L * state[k] + 12345L) % MOD;
  state[k] = (int) next;
  return fabs(state[k] / (double) MOD);
}

static double gauss(int *state, int k)
{
  double u = uniform(state, k) + 1e-12;
  double v = uniform(state, k);
  return sqrt(-2.0 * log(u)) * cos(6.283185307 * v);
}

static void put(double *p, int k, double v) { p[k] = v; }
static double get(const double *p, int k) { return p[k]; }
static void put2(double *p, int r, int c, double v) { p[r * (N / 64) + c] = v; }
static void shift_put(double *p, int k, double v) { k = k + 1; p[k] = v; }

void random_walk(int n)
{
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    x[i] += 1.0 + 0.5 * gauss(seed, i);
}

void shared_stream(int n)
{
  /* expect: serial */
  for (int i = 0; i < n; i++)
    x[i] += gauss(seed, 0);
}

void neighbour_stream(int n)
{
  /* expect: serial */
  for (int i = 1; i < n; i++)
    y[i] = gauss(seed, i - 1) + gauss(seed, i);
}

void setter(int n)
{
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    put(y, i, 2.0 * x[i]);
}

void getter_ahead(int n)
{
  /* expect: serial */
  for (int i = 0; i < n - 1; i++)
    x[i] = get(x, i + 1);
}

void getter_same(int n)
{
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    x[i] = get(x, i) * 0.5 + get(y, i);
}

void setter_rows(int rows, int cols)
{
  /* expect: parallel private(c) */
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++)
      put2(&grid[0][0], r, c, r + 0.5 * c);
}

void shifted_setter(int n)
{
  /* expect: serial */
  for (int i = 0; i < n - 1; i++)
    shift_put(y, i, x[i] + y[i + 1]);
}

void row_cursor(int rows, int cols)
{
  double *row;
  /* expect: parallel private(row) */
  for (int r = 0; r < rows; r++) {
    row = &grid[r][0];
    for (int c = 0; c < cols; c++)
      row[c] = 0.25 * row[c] + r;
  }
}

void fixed_cursor(int n)
{
  double *acc;
  /* expect: serial */
  for (int i = 0; i < n; i++) {
    acc = &y[0];
    acc[0] += x[i];
  }
}

int main(void)
{
  for (int i = 0; i < N; i++) {
    seed[i] = i * 7 + 1;
    x[i] = i % 13;
    y[i] = 0.0;
  }
  random_walk(N);
  shared_stream(N);
  neighbour_stream(N);
  setter(N);
  getter_ahead(N);
  getter_same(N);
  setter_rows(64, N / 64);
  shifted_setter(N);
  row_cursor(64, N / 64);
  fixed_cursor(N);
  double s = 0.0;
  for (int i = 0; i < N; i++)
    s += x[i] + y[i] + grid[i % 64][i % (N / 64)];
  printf("checksum %.6f\n", s);
  return 0;
}
