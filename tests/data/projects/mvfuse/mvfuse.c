/* A matrix-vector product y = A x followed by a loop over the same rows that reads y: the product's row loop may be
 * unrolled and jammed (x[j] then serves four rows per load) and fused with the loop after it (y[i] used while it is
 * still in a register). Repeated reps times, each repetition on a slightly changed x. */
#include <stdio.h>
#include <stdlib.h>

#define NMAX 2000
static double A[NMAX][NMAX], x[NMAX], y[NMAX], z[NMAX];

static void init(int n)
{
    for (int i = 0; i < n; i++) {
        x[i] = (double)(i % 9) / 9.0;
        z[i] = 0.0;
        for (int j = 0; j < n; j++)
            A[i][j] = (double)((i * 3 + j * 7) % 23) / 23.0;
    }
}

static void step(int n, double shift)
{
    for (int i = 0; i < n; i++)
        y[i] = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            y[i] += A[i][j] * x[j];
    for (int i = 0; i < n; i++)
        z[i] += y[i] * 0.5 + shift;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500;
    int reps = argc > 2 ? atoi(argv[2]) : 10;
    if (n < 1 || n > NMAX || reps < 1) {
        fprintf(stderr, "usage: mvfuse [n [reps]], 1 <= n <= %d, reps >= 1\n", NMAX);
        return 2;
    }
    init(n);
    for (int r = 0; r < reps; r++) {
        step(n, r * 0.001);
        x[r % n] += 0.25;
    }
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += z[i] * (i % 5 + 1);
    printf("mvfuse n=%d reps=%d checksum %.10e\n", n, reps, sum);
    return 0;
}
