/* 2mm_tb: D = alpha * A * B * C + beta * D, written the textbook way (each product i, j, k with a column walk),
 * on static arrays of a compile-time size (the form Polly analyses). */
#include <stdio.h>

#ifndef N
#define N 1000
#endif

static double A[N][N], B[N][N], C[N][N], D[N][N], tmp[N][N];

static void init(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * j + 1) % N) / N;
            B[i][j] = (double)(i * (j + 1) % N) / N;
            C[i][j] = (double)((i * (j + 3) + 1) % N) / N;
            D[i][j] = (double)(i * (j + 2) % N) / N;
        }
}

static void kernel_2mm_tb(double alpha, double beta)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            tmp[i][j] = 0.0;
            for (int k = 0; k < N; k++)
                tmp[i][j] += alpha * A[i][k] * B[k][j];
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            D[i][j] *= beta;
            for (int k = 0; k < N; k++)
                D[i][j] += tmp[i][k] * C[k][j];
        }
}

int main(void)
{
    init();
    kernel_2mm_tb(1.5, 1.2);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += D[i][j];
    printf("2mm_tb N=%d checksum %.10e\n", N, sum);
    return 0;
}
