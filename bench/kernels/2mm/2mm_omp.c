/* 2mm: D = alpha * A * B * C + beta * D, computed as tmp = alpha A B, then D = beta D + tmp C. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 1800
#endif

static void init(double A[N][N], double B[N][N], double C[N][N], double D[N][N])
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * j + 1) % N) / N;
            B[i][j] = (double)(i * (j + 1) % N) / N;
            C[i][j] = (double)((i * (j + 3) + 1) % N) / N;
            D[i][j] = (double)(i * (j + 2) % N) / N;
        }
}

static void kernel_2mm(double alpha, double beta, double tmp[N][N], double A[N][N], double B[N][N],
                       double C[N][N], double D[N][N])
{
#pragma omp parallel for
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            tmp[i][j] = 0.0;
        for (int k = 0; k < N; k++)
            for (int j = 0; j < N; j++)
                tmp[i][j] += alpha * A[i][k] * B[k][j];
    }
#pragma omp parallel for
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            D[i][j] *= beta;
        for (int k = 0; k < N; k++)
            for (int j = 0; j < N; j++)
                D[i][j] += tmp[i][k] * C[k][j];
    }
}

int main(void)
{
    double (*tmp)[N] = malloc(sizeof(double[N][N]));
    double (*A)[N] = malloc(sizeof(double[N][N]));
    double (*B)[N] = malloc(sizeof(double[N][N]));
    double (*C)[N] = malloc(sizeof(double[N][N]));
    double (*D)[N] = malloc(sizeof(double[N][N]));
    if (!tmp || !A || !B || !C || !D)
        return 2;
    init(A, B, C, D);
    kernel_2mm(1.5, 1.2, tmp, A, B, C, D);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += D[i][j];
    printf("2mm N=%d checksum %.10e\n", N, sum);
    free(tmp);
    free(A);
    free(B);
    free(C);
    free(D);
    return 0;
}
