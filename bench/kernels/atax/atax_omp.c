/* atax: power iteration on A^T A; each step is y = A^T (A x), then x = y / |y|. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 3000
#endif
#ifndef REPS
#define REPS 200
#endif

static void init(double A[N][N], double *x)
{
    for (int i = 0; i < N; i++) {
        x[i] = 1.0 + (double)i / N;
        for (int j = 0; j < N; j++)
            A[i][j] = (double)((i + j) % N) / (5 * N);
    }
}

/* Return the last |y|, an estimate of the largest eigenvalue of A^T A. */
static double kernel_atax(double A[N][N], double *x, double *y, double *tmp)
{
    double norm = 0.0;
    for (int r = 0; r < REPS; r++) {
#pragma omp parallel for
        for (int j = 0; j < N; j++)
            y[j] = 0.0;
#pragma omp parallel for
        for (int i = 0; i < N; i++) {
            double t = 0.0;
            for (int j = 0; j < N; j++)
                t += A[i][j] * x[j];
            tmp[i] = t;
        }
        /* y = A^T tmp, accumulated row by row so A is read in storage order. */
#pragma omp parallel for reduction(+ : y[:N])
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                y[j] += A[i][j] * tmp[i];
        double s = 0.0;
#pragma omp parallel for reduction(+ : s)
        for (int j = 0; j < N; j++)
            s += y[j] * y[j];
        norm = sqrt(s);
#pragma omp parallel for
        for (int j = 0; j < N; j++)
            x[j] = y[j] / norm;
    }
    return norm;
}

int main(void)
{
    double (*A)[N] = malloc(sizeof(double[N][N]));
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *tmp = malloc(N * sizeof *tmp);
    if (!A || !x || !y || !tmp)
        return 2;
    init(A, x);
    double norm = kernel_atax(A, x, y, tmp);
    double sum = 0.0;
    for (int j = 0; j < N; j++)
        sum += x[j] * (j % 7 + 1);
    printf("atax N=%d norm %.10e checksum %.10e\n", N, norm, sum);
    free(A);
    free(x);
    free(y);
    free(tmp);
    return 0;
}
