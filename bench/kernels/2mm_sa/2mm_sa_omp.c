/* 2mm_sa: 2mm (tmp = alpha A B, then D = beta D + tmp C) on static arrays of a compile-time size, the form Polly
 * analyses; the same size, numbers and loop order as the pointer form in 2mm/. */
#include <stdio.h>

#ifndef N
#define N 1800
#endif

static double tmp[N][N], A[N][N], B[N][N], C[N][N], D[N][N];

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

static void kernel_2mm_sa(double alpha, double beta)
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
    init();
    kernel_2mm_sa(1.5, 1.2);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += D[i][j];
    printf("2mm_sa N=%d checksum %.10e\n", N, sum);
    return 0;
}
