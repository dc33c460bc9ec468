/* covariance_sa: sample covariance matrix of M variables over N observations, on static arrays of a compile-time
 * size (the form Polly analyses); the same sizes and numbers as the pointer form in covariance/. */
#include <stdio.h>

#ifndef N
#define N 2400
#endif
#ifndef M
#define M 2100
#endif

static double data[N][M], cov[M][M], mean[M];

static void init(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < M; j++)
            data[i][j] = (double)((i * j + 1) % N) / M;
}

static void kernel_covariance_sa(void)
{
    for (int j = 0; j < M; j++) {
        double s = 0.0;
        for (int i = 0; i < N; i++)
            s += data[i][j];
        mean[j] = s / N;
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < M; j++)
            data[i][j] -= mean[j];
    /* Upper triangle by rows of data: cov[a][b] += data[k][a] * data[k][b] for b >= a. */
    for (int a = 0; a < M; a++) {
        for (int b = a; b < M; b++)
            cov[a][b] = 0.0;
        for (int k = 0; k < N; k++)
            for (int b = a; b < M; b++)
                cov[a][b] += data[k][a] * data[k][b];
        for (int b = a; b < M; b++) {
            cov[a][b] /= N - 1.0;
            cov[b][a] = cov[a][b];
        }
    }
}

int main(void)
{
    init();
    kernel_covariance_sa();
    double sum = 0.0;
    for (int a = 0; a < M; a++)
        for (int b = 0; b < M; b++)
            sum += cov[a][b] * ((a + b) % 3 + 1);
    printf("covariance_sa N=%d M=%d checksum %.10e\n", N, M, sum);
    return 0;
}
