/* gesummv: y = alpha A x + beta B x, iterated as a power method with x = y / max|y|. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 2500
#endif
#ifndef REPS
#define REPS 300
#endif

static void init(double A[N][N], double B[N][N], double *x)
{
    for (int i = 0; i < N; i++) {
        x[i] = (double)(i % N) / N;
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * j + 1) % N) / N;
            B[i][j] = (double)((i * j + 2) % N) / N;
        }
    }
}

static double kernel_gesummv(double alpha, double beta, double A[N][N], double B[N][N], double *x,
                             double *y)
{
    double big = 0.0;
    for (int r = 0; r < REPS; r++) {
#pragma omp parallel for
        for (int i = 0; i < N; i++) {
            double ta = 0.0, tb = 0.0;
            for (int j = 0; j < N; j++) {
                ta += A[i][j] * x[j];
                tb += B[i][j] * x[j];
            }
            y[i] = alpha * ta + beta * tb;
        }
        big = 0.0;
#pragma omp parallel for reduction(max : big)
        for (int i = 0; i < N; i++)
            big = fmax(big, fabs(y[i]));
#pragma omp parallel for
        for (int i = 0; i < N; i++)
            x[i] = y[i] / big;
    }
    return big;
}

int main(void)
{
    double (*A)[N] = malloc(sizeof(double[N][N]));
    double (*B)[N] = malloc(sizeof(double[N][N]));
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    if (!A || !B || !x || !y)
        return 2;
    init(A, B, x);
    double big = kernel_gesummv(1.5, 1.2, A, B, x, y);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        sum += x[i] * (i % 5 + 1);
    printf("gesummv N=%d max %.10e checksum %.10e\n", N, big, sum);
    free(A);
    free(B);
    free(x);
    free(y);
    return 0;
}
