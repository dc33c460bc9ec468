/* 3mm_tb: G = (A * B) * (C * D), written the textbook way (each product i, j, k with a column walk), on static
 * arrays of a compile-time size (the form Polly analyses). */
#include <stdio.h>

#ifndef N
#define N 900
#endif

static double A[N][N], B[N][N], C[N][N], D[N][N], E[N][N], F[N][N], G[N][N];

static void init(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * j + 1) % N) / (5 * N);
            B[i][j] = (double)((i * (j + 1) + 2) % N) / (5 * N);
            C[i][j] = (double)(i * (j + 3) % N) / (5 * N);
            D[i][j] = (double)((i * (j + 2) + 2) % N) / (5 * N);
        }
}

static void kernel_3mm_tb(void)
{
#pragma omp parallel for
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            E[i][j] = 0.0;
            for (int k = 0; k < N; k++)
                E[i][j] += A[i][k] * B[k][j];
        }
#pragma omp parallel for
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            F[i][j] = 0.0;
            for (int k = 0; k < N; k++)
                F[i][j] += C[i][k] * D[k][j];
        }
#pragma omp parallel for
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            G[i][j] = 0.0;
            for (int k = 0; k < N; k++)
                G[i][j] += E[i][k] * F[k][j];
        }
}

int main(void)
{
    init();
    kernel_3mm_tb();
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += G[i][j];
    printf("3mm_tb N=%d checksum %.10e\n", N, sum);
    return 0;
}
