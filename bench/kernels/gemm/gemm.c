/* gemm: C = alpha * A * B + beta * C for square matrices. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 2000
#endif

static void init(double A[N][N], double B[N][N], double C[N][N])
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * j + 1) % N) / N;
            B[i][j] = (double)((i * (j + 1) + 2) % N) / N;
            C[i][j] = (double)((i * (j + 2) + 3) % N) / N;
        }
}

static void kernel_gemm(double alpha, double beta, double A[N][N], double B[N][N], double C[N][N])
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            C[i][j] *= beta;
        /* i-k-j order walks B and C row-wise, so the inner loop vectorizes. */
        for (int k = 0; k < N; k++)
            for (int j = 0; j < N; j++)
                C[i][j] += alpha * A[i][k] * B[k][j];
    }
}

int main(void)
{
    double (*A)[N] = malloc(sizeof(double[N][N]));
    double (*B)[N] = malloc(sizeof(double[N][N]));
    double (*C)[N] = malloc(sizeof(double[N][N]));
    if (!A || !B || !C)
        return 2;
    init(A, B, C);
    kernel_gemm(1.5, 1.2, A, B, C);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += C[i][j];
    printf("gemm N=%d checksum %.10e\n", N, sum);
    free(A);
    free(B);
    free(C);
    return 0;
}
