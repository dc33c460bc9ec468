/* Calls in loop bodies: pure math, pure helpers, and calls with side effects. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define N 3000

static double a[N], b[N];
static int counter;
static double total;

static double square(double x) { return x * x; }
static double poly(double x) { return square(x) + 2.0 * x + 1.0; }
static double scaled(double x) { return x * a[0]; }
static void bump(void) { counter++; }
static void add_total(double x) { total += x; }
static double logged(double x) { printf("%f\n", x); return x; }
static void store(double *p, int i, double v) { p[i] = v; }

void math_calls(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    b[i] = sqrt(fabs(a[i])) + exp(-a[i]) * sin(a[i]) + pow(a[i], 2.0);
}

void pure_helper(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    b[i] = poly(a[i]);
}

void reads_global_helper(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    b[i] = scaled(a[i]);
}

void helper_reads_written(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    a[i] = scaled(b[i]);
}

void counting_calls(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++) {
    b[i] = a[i];
    bump();
  }
}

void accumulate_call(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    add_total(a[i]);
}

void random_fill(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    b[i] = rand() % 100;
}

void io_helper(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i += 1000)
    b[i] = logged(a[i]);
}

void store_helper(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    store(b, i, a[i] * 3.0);
}

void malloc_in_loop(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++) {
    double *tmp = malloc(4 * sizeof(double));
    tmp[0] = a[i];
    b[i] = tmp[0] * 2;
    free(tmp);
  }
}

void floor_round(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    b[i] = floor(a[i] * 10.0) + round(a[i]) + fmin(a[i], 0.5) + fmax(a[i], 0.1);
}

int main(void) {
  srand(1);
  for (int i = 0; i < N; i++) { a[i] = (i % 17) * 0.1 + 0.05; b[i] = 0; }
  math_calls(N); pure_helper(N); reads_global_helper(N); helper_reads_written(N);
  counting_calls(N); accumulate_call(N); random_fill(N); io_helper(N); store_helper(N);
  malloc_in_loop(N); floor_round(N);
  double s = 0;
  for (int i = 0; i < N; i++) s += a[i] + b[i];
  printf("%.6f %d %.6f\n", s, counter, total);
  return 0;
}
