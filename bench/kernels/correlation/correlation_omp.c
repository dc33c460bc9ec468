/* correlation: Pearson correlation matrix of M variables over N observations. */
#include <math.h>
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
            data[i][j] = (double)(i * j % M) / M + i;
}

static void kernel_correlation(double data[N][M], double corr[M][M], double *mean, double *stddev)
{
#pragma omp parallel for
    for (int j = 0; j < M; j++) {
        double s = 0.0;
        for (int i = 0; i < N; i++)
            s += data[i][j];
        mean[j] = s / N;
    }
#pragma omp parallel for
    for (int j = 0; j < M; j++) {
        double s = 0.0;
        for (int i = 0; i < N; i++)
            s += (data[i][j] - mean[j]) * (data[i][j] - mean[j]);
        /* A constant column would divide by zero; treat its spread as 1 (as the classic kernel does). */
        stddev[j] = sqrt(s / N) <= 0.1 ? 1.0 : sqrt(s / N);
    }
#pragma omp parallel for
    for (int i = 0; i < N; i++)
        for (int j = 0; j < M; j++)
            data[i][j] = (data[i][j] - mean[j]) / (sqrt((double)N) * stddev[j]);
#pragma omp parallel for schedule(dynamic, 8)
    for (int a = 0; a < M; a++) {
        corr[a][a] = 1.0;
        for (int b = a + 1; b < M; b++)
            corr[a][b] = 0.0;
        for (int k = 0; k < N; k++)
            for (int b = a + 1; b < M; b++)
                corr[a][b] += data[k][a] * data[k][b];
        for (int b = a + 1; b < M; b++)
            corr[b][a] = corr[a][b];
    }
}

int main(void)
{
    double (*data)[M] = malloc(sizeof(double[N][M]));
    double (*corr)[M] = malloc(sizeof(double[M][M]));
    double *mean = malloc(M * sizeof *mean), *stddev = malloc(M * sizeof *stddev);
    if (!data || !corr || !mean || !stddev)
        return 2;
    init(data);
    kernel_correlation(data, corr, mean, stddev);
    double sum = 0.0;
    for (int a = 0; a < M; a++)
        for (int b = 0; b < M; b++)
            sum += corr[a][b] * ((a + 2 * b) % 5 + 1);
    printf("correlation N=%d M=%d checksum %.10e\n", N, M, sum);
    free(data);
    free(corr);
    free(mean);
    free(stddev);
    return 0;
}
