/* OpenMP reference: the recurrence stays serial; only the per-element update of b is parallel. */
/* recurrence: first-order linear recurrence x[i] = a[i] x[i-1] + b[i], swept REPS times. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 2000000
#endif
#ifndef REPS
#define REPS 450
#endif

static void init(double *a, double *b)
{
    for (long i = 0; i < N; i++) {
        a[i] = 0.5 + (double)(i % 97) / 200.0; /* in [0.5, 0.98]: the recurrence stays bounded */
        b[i] = (double)((i * 31 + 7) % 1000) / 1000.0;
    }
}

/* The sweep carries x[i-1] -> x[i]; the update of b between sweeps is independent per element. */
static void kernel_recurrence(const double *a, double *b, double *x)
{
    for (int r = 0; r < REPS; r++) {
        x[0] = b[0];
        for (long i = 1; i < N; i++)
            x[i] = a[i] * x[i - 1] + b[i];
#pragma omp parallel for
        for (long i = 0; i < N; i++)
            b[i] = 0.5 * b[i] + 0.5 * (1.0 - a[i]) * x[i];
    }
}

int main(void)
{
    double *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *x = malloc(N * sizeof *x);
    if (!a || !b || !x)
        return 2;
    init(a, b);
    kernel_recurrence(a, b, x);
    double sum = 0.0;
    for (long i = 0; i < N; i++)
        sum += x[i] * (i % 3 + 1);
    printf("recurrence N=%d REPS=%d checksum %.10e\n", N, REPS, sum);
    free(a);
    free(b);
    free(x);
    return 0;
}
