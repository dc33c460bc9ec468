/* covariance: sample covariance matrix of M variables over N observations. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 2400
#endif
#ifndef M
#define M 2100
#endif

static void init(double data[N][M])
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < M; j++)
            data[i][j] = (double)((i * j + 1) % N) / M;
}

static void kernel_covariance(double data[N][M], double cov[M][M], double *mean)
{
#pragma omp parallel for
    for (int j = 0; j < M; j++) {
        double s = 0.0;
        for (int i = 0; i < N; i++)
            s += data[i][j];
        mean[j] = s / N;
    }
#pragma omp parallel for
    for (int i = 0; i < N; i++)
        for (int j = 0; j < M; j++)
            data[i][j] -= mean[j];
    /* Upper triangle by rows of data: cov[a][b] += data[k][a] * data[k][b] for b >= a. */
#pragma omp parallel for schedule(dynamic, 8)
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
    double (*data)[M] = malloc(sizeof(double[N][M]));
    double (*cov)[M] = malloc(sizeof(double[M][M]));
    double *mean = malloc(M * sizeof *mean);
    if (!data || !cov || !mean)
        return 2;
    init(data);
    kernel_covariance(data, cov, mean);
    double sum = 0.0;
    for (int a = 0; a < M; a++)
        for (int b = 0; b < M; b++)
            sum += cov[a][b] * ((a + b) % 3 + 1);
    printf("covariance N=%d M=%d checksum %.10e\n", N, M, sum);
    free(data);
    free(cov);
    free(mean);
    return 0;
}
