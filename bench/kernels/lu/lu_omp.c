/* lu: in-place LU factorisation without pivoting of a diagonally dominant matrix. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 2200
#endif

static void init(double A[N][N])
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            A[i][j] = i == j ? (double)N : (double)((i * j + 1) % N) / N;
}

/* After step k, rows below k hold L's multipliers in column k and the updated trailing block. */
static void kernel_lu(double A[N][N])
{
#pragma omp parallel
    for (int k = 0; k < N; k++)
#pragma omp for
        for (int i = k + 1; i < N; i++) {
            A[i][k] /= A[k][k];
            for (int j = k + 1; j < N; j++)
                A[i][j] -= A[i][k] * A[k][j];
        }
}

int main(void)
{
    double (*A)[N] = malloc(sizeof(double[N][N]));
    if (!A)
        return 2;
    init(A);
    kernel_lu(A);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += A[i][j];
    printf("lu N=%d checksum %.10e\n", N, sum);
    free(A);
    return 0;
}
