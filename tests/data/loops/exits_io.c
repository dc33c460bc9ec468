/* Early exits and I/O inside loops, plus continue (which is fine). */
#include <stdio.h>
#include <stdlib.h>

#define N 3000

static double a[N], b[N];

int find_first(int n, double key) {
  int found = -1;
  /* expect: serial */
  for (int i = 0; i < n; i++) {
    if (a[i] == key) {
      found = i;
      break;
    }
  }
  return found;
}

int find_return(int n, double key) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    if (a[i] > key) return i;
  return -1;
}

int check_goto(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++) {
    if (a[i] < 0) goto bad;
    b[i] = a[i] * 2;
  }
  return 0;
bad:
  return 1;
}

void die_on_nan(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++) {
    if (a[i] != a[i]) exit(3);
    b[i] = a[i] + 1;
  }
}

void skip_negative(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++) {
    if (a[i] < 0) continue;
    b[i] = a[i] * 0.5;
  }
}

void print_all(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i += 500)
    printf("%d %.2f\n", i, a[i]);
}

void write_file(int n, FILE *out) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    fprintf(out, "%g\n", b[i]);
}

void inner_break(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++) {
    int steps = 0;
    /* expect: serial */
    for (int k = 0; k < 50; k++) {
      if (a[i] * k > 10.0) break;
      steps++;
    }
    b[i] = steps;
  }
}

void switch_break(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++) {
    switch (i % 3) {
    case 0: b[i] = 1; break;
    case 1: b[i] = a[i]; break;
    default: b[i] = -a[i]; break;
    }
  }
}

int main(void) {
  for (int i = 0; i < N; i++) { a[i] = (i * 13 % 29) * 0.5 - 1.0; b[i] = 0; }
  int f1 = find_first(N, 3.0), f2 = find_return(N, 12.0), g = check_goto(N);
  die_on_nan(N); skip_negative(N); print_all(N);
  FILE *out = fopen("/dev/null", "w");
  if (out) { write_file(N, out); fclose(out); }
  inner_break(N); switch_break(N);
  double s = 0;
  for (int i = 0; i < N; i++) s += b[i];
  printf("%d %d %d %.3f\n", f1, f2, g, s);
  return 0;
}
