/* jacobi2d: TSTEPS pairs of 5-point Jacobi sweeps, A -> B then B -> A. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 1000
#endif
#ifndef TSTEPS
#define TSTEPS 1500
#endif

static void init(double A[N][N], double B[N][N])
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * (j + 2) + 2) % N) / N;
            B[i][j] = (double)((i * (j + 3) + 3) % N) / N;
        }
}

static void kernel_jacobi2d(double A[N][N], double B[N][N])
{
#pragma omp parallel
    for (int t = 0; t < TSTEPS; t++) {
#pragma omp for
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                B[i][j] = 0.2 * (A[i][j] + A[i][j - 1] + A[i][j + 1] + A[i + 1][j] + A[i - 1][j]);
#pragma omp for
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                A[i][j] = 0.2 * (B[i][j] + B[i][j - 1] + B[i][j + 1] + B[i + 1][j] + B[i - 1][j]);
    }
}

int main(void)
{
    double (*A)[N] = malloc(sizeof(double[N][N]));
    double (*B)[N] = malloc(sizeof(double[N][N]));
    if (!A || !B)
        return 2;
    init(A, B);
    kernel_jacobi2d(A, B);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += A[i][j];
    printf("jacobi2d N=%d TSTEPS=%d checksum %.10e\n", N, TSTEPS, sum);
    free(A);
    free(B);
    return 0;
}
