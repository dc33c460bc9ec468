/* heat3d: explicit 3-D heat equation, 7-point stencil, A -> B then B -> A each step. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 120
#endif
#ifndef TSTEPS
#define TSTEPS 400
#endif

static void init(double A[N][N][N], double B[N][N][N])
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            for (int k = 0; k < N; k++)
                A[i][j][k] = B[i][j][k] = (double)((i * j + (N - k) * (i + 1)) % N) * 10 / N;
}

static void kernel_heat3d(double A[N][N][N], double B[N][N][N])
{
#pragma omp parallel
    for (int t = 0; t < TSTEPS; t++) {
#pragma omp for
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                for (int k = 1; k < N - 1; k++)
                    B[i][j][k] = A[i][j][k]
                               + 0.125 * (A[i + 1][j][k] - 2.0 * A[i][j][k] + A[i - 1][j][k])
                               + 0.125 * (A[i][j + 1][k] - 2.0 * A[i][j][k] + A[i][j - 1][k])
                               + 0.125 * (A[i][j][k + 1] - 2.0 * A[i][j][k] + A[i][j][k - 1]);
#pragma omp for
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                for (int k = 1; k < N - 1; k++)
                    A[i][j][k] = B[i][j][k]
                               + 0.125 * (B[i + 1][j][k] - 2.0 * B[i][j][k] + B[i - 1][j][k])
                               + 0.125 * (B[i][j + 1][k] - 2.0 * B[i][j][k] + B[i][j - 1][k])
                               + 0.125 * (B[i][j][k + 1] - 2.0 * B[i][j][k] + B[i][j][k - 1]);
    }
}

int main(void)
{
    double (*A)[N][N] = malloc(sizeof(double[N][N][N]));
    double (*B)[N][N] = malloc(sizeof(double[N][N][N]));
    if (!A || !B)
        return 2;
    init(A, B);
    kernel_heat3d(A, B);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            for (int k = 0; k < N; k++)
                sum += A[i][j][k];
    printf("heat3d N=%d TSTEPS=%d checksum %.10e\n", N, TSTEPS, sum);
    free(A);
    free(B);
    return 0;
}
