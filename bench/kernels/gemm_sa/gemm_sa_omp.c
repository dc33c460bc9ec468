/* gemm_sa: gemm (C = alpha * A * B + beta * C) on static arrays of a compile-time size, the form Polly analyses; the
 * same size, numbers and loop order as the pointer form in gemm/. */
#include <stdio.h>

#ifndef N
#define N 2000
#endif

static double A[N][N], B[N][N], C[N][N];

static void init(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * j + 1) % N) / N;
            B[i][j] = (double)((i * (j + 1) + 2) % N) / N;
            C[i][j] = (double)((i * (j + 2) + 3) % N) / N;
        }
}

static void kernel_gemm_sa(double alpha, double beta)
{
#pragma omp parallel for
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
    init();
    kernel_gemm_sa(1.5, 1.2);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += C[i][j];
    printf("gemm_sa N=%d checksum %.10e\n", N, sum);
    return 0;
}
