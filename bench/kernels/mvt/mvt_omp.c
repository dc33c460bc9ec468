/* mvt: x1 += A y1 and x2 += A^T y2, repeated with y1, y2 taken from the scaled results. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 3000
#endif
#ifndef REPS
#define REPS 150
#endif

static void init(double A[N][N], double *x1, double *x2, double *y1, double *y2)
{
    for (int i = 0; i < N; i++) {
        x1[i] = (double)(i % N) / N;
        x2[i] = (double)((i + 1) % N) / N;
        y1[i] = (double)((i + 3) % N) / N;
        y2[i] = (double)((i + 4) % N) / N;
        for (int j = 0; j < N; j++)
            A[i][j] = (double)(i * j % N) / N;
    }
}

static void kernel_mvt(double A[N][N], double *x1, double *x2, double *y1, double *y2)
{
    for (int r = 0; r < REPS; r++) {
#pragma omp parallel for
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                x1[i] += A[i][j] * y1[j];
        /* A^T y2 taken column-wise: each x2[i] is a strided dot product. */
#pragma omp parallel for
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                x2[i] += A[j][i] * y2[j];
#pragma omp parallel for
        for (int i = 0; i < N; i++) {
            y1[i] = x2[i] / (N * (r + 2.0));
            y2[i] = x1[i] / (N * (r + 2.0));
        }
    }
}

int main(void)
{
    double (*A)[N] = malloc(sizeof(double[N][N]));
    double *x1 = malloc(N * sizeof *x1), *x2 = malloc(N * sizeof *x2);
    double *y1 = malloc(N * sizeof *y1), *y2 = malloc(N * sizeof *y2);
    if (!A || !x1 || !x2 || !y1 || !y2)
        return 2;
    init(A, x1, x2, y1, y2);
    kernel_mvt(A, x1, x2, y1, y2);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        sum += x1[i] + x2[i];
    printf("mvt N=%d checksum %.10e\n", N, sum);
    free(A);
    free(x1);
    free(x2);
    free(y1);
    free(y2);
    return 0;
}
