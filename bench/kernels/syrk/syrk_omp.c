/* syrk: C = alpha A A^T + beta C on the lower triangle of C (N x N), A is N x M. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 2000
#endif
#ifndef M
#define M 2000
#endif

static void init(double A[N][M], double C[N][N])
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < M; j++)
            A[i][j] = (double)((i * j + 1) % N) / N;
        for (int j = 0; j < N; j++)
            C[i][j] = (double)((i * j + 2) % M) / M;
    }
}

static void kernel_syrk(double alpha, double beta, double A[N][M], double C[N][N])
{
#pragma omp parallel for schedule(dynamic, 16)
    for (int i = 0; i < N; i++) {
        for (int j = 0; j <= i; j++)
            C[i][j] *= beta;
        for (int k = 0; k < M; k++)
            for (int j = 0; j <= i; j++)
                C[i][j] += alpha * A[i][k] * A[j][k];
    }
}

int main(void)
{
    double (*A)[M] = malloc(sizeof(double[N][M]));
    double (*C)[N] = malloc(sizeof(double[N][N]));
    if (!A || !C)
        return 2;
    init(A, C);
    kernel_syrk(1.5, 1.2, A, C);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j <= i; j++)
            sum += C[i][j];
    printf("syrk N=%d M=%d checksum %.10e\n", N, M, sum);
    free(A);
    free(C);
    return 0;
}
