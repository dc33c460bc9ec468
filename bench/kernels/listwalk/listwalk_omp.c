/* OpenMP reference: none. The walk follows next pointers and carries a running sum, so it
 * stays serial. */
/* listwalk: repeated walks of a linked list laid out in shuffled order (pointer chasing). */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 1000000
#endif
#ifndef REPS
#define REPS 40
#endif

struct node {
    struct node *next;
    double val, w;
};

/* Link the nodes in a pseudo-random permutation of the array, so each step is a cache miss. */
static struct node *build(struct node *nodes, int *order)
{
    for (int i = 0; i < N; i++)
        order[i] = i;
    unsigned long long s = 12345;
    for (int i = N - 1; i > 0; i--) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        int j = (int)((s >> 33) % (unsigned long long)(i + 1));
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < N; i++) {
        nodes[order[i]].next = i + 1 < N ? &nodes[order[i + 1]] : NULL;
        nodes[order[i]].w = nodes[order[i]].val = (double)(i % 100) / 100.0;
    }
    return &nodes[order[0]];
}

/* Each node's new value depends on the running sum of all nodes before it in list order. */
static double kernel_listwalk(struct node *head)
{
    double s = 0.0;
    for (int r = 0; r < REPS; r++) {
        s = 0.0;
        for (struct node *p = head; p; p = p->next) {
            s = 0.9 * s + p->val;
            p->val = 0.5 * p->w + 0.05 * s;
        }
    }
    return s;
}

int main(void)
{
    struct node *nodes = malloc(N * sizeof *nodes);
    int *order = malloc(N * sizeof *order);
    if (!nodes || !order)
        return 2;
    struct node *head = build(nodes, order);
    double last = kernel_listwalk(head);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        sum += nodes[i].val * (i % 3 + 1);
    printf("listwalk N=%d REPS=%d last %.10e checksum %.10e\n", N, REPS, last, sum);
    free(nodes);
    free(order);
    return 0;
}
