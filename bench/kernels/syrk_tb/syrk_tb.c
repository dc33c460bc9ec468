/* syrk_tb: C = alpha * A^T * A + beta * C on the lower triangle, written the textbook way (i, j, k: the inner loop
 * walks A down two columns), on static arrays of a compile-time size (the form Polly analyses). */
#include <stdio.h>

#ifndef N
#define N 1400
#endif
#ifndef M
#define M 1400
#endif

static double A[M][N], C[N][N];

static void init(void)
{
    for (int k = 0; k < M; k++)
        for (int j = 0; j < N; j++)
            A[k][j] = (double)((k * j + 1) % N) / N;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            C[i][j] = (double)((i * j + 2) % M) / M;
}

static void kernel_syrk_tb(double alpha, double beta)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j <= i; j++) {
            C[i][j] *= beta;
            for (int k = 0; k < M; k++)
                C[i][j] += alpha * A[k][i] * A[k][j];
        }
}

int main(void)
{
    init();
    kernel_syrk_tb(1.5, 1.2);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j <= i; j++)
            sum += C[i][j];
    printf("syrk_tb N=%d M=%d checksum %.10e\n", N, M, sum);
    return 0;
}
