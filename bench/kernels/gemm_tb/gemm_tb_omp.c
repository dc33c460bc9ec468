/* gemm_tb: C = alpha * A * B + beta * C, written the textbook way (i, j, k: the inner loop walks B down a column),
 * on static arrays of a compile-time size (the form Polly analyses). */
#include <stdio.h>

#ifndef N
#define N 1400
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

static void kernel_gemm_tb(double alpha, double beta)
{
#pragma omp parallel for
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            C[i][j] *= beta;
            for (int k = 0; k < N; k++)
                C[i][j] += alpha * A[i][k] * B[k][j];
        }
}

int main(void)
{
    init();
    kernel_gemm_tb(1.5, 1.2);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += C[i][j];
    printf("gemm_tb N=%d checksum %.10e\n", N, sum);
    return 0;
}
