/* While and do loops, pointer chasing and pointer-increment loops. */
#include <stdio.h>
#include <stdlib.h>

#define N 2000

struct node { double value; struct node *next; };

static double a[N], b[N];

double list_sum(struct node *head) {
  double s = 0;
  /* expect: serial */
  while (head) {
    s += head->value;
    head = head->next;
  }
  return s;
}

void list_scale(struct node *head) {
  /* expect: serial */
  for (struct node *p = head; p != NULL; p = p->next)
    p->value *= 2.0;
}

void while_index(int n) {
  int i = 0;
  /* expect: serial */
  while (i < n) {
    b[i] = a[i] + 1.0;
    i++;
  }
}

void do_loop(int n) {
  int i = 0;
  /* expect: serial */
  do {
    b[i] += 1.0;
    i++;
  } while (i < n);
}

void pointer_walk(double *dst, const double *src, int n) {
  /* expect: serial */
  while (n-- > 0)
    *dst++ = *src++ * 0.5;
}

int converge(double tol) {
  double err = 1.0;
  int it = 0;
  /* expect: serial */
  while (err > tol) {
    err *= 0.5;
    it++;
  }
  return it;
}

void pointer_loop(double *p, int n) {
  double *end = p + n;
  /* expect: parallel */
  for (double *q = p; q < end; q++)
    *q = *q + 1.0;
}

void array_of_nodes(struct node *nodes, int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    nodes[i].value = nodes[i].value * 0.5 + 1.0;
}

int main(void) {
  struct node *nodes = malloc(N * sizeof(struct node));
  for (int i = 0; i < N; i++) {
    a[i] = i % 7; b[i] = 0;
    nodes[i].value = i % 4;
    nodes[i].next = (i + 1 < N) ? &nodes[i + 1] : NULL;
  }
  list_scale(nodes);
  double s = list_sum(nodes);
  while_index(N); do_loop(N);
  pointer_walk(b, a, N);
  int it = converge(1e-9);
  pointer_loop(a, N);
  array_of_nodes(nodes, N);
  for (int i = 0; i < N; i++) s += a[i] + b[i] + nodes[i].value;
  printf("%.4f %d\n", s, it);
  free(nodes);
  return 0;
}
