/* spmv: repeated sparse matrix-vector products y = A x (CSR), with x = y / max|y| between them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 400000
#endif
#ifndef REPS
#define REPS 200
#endif

/* Row i has 4 + i % 21 entries: the diagonal plus pseudo-random columns (a hash of i and k). */
static long build(int *rowptr, int **colp, double **valp)
{
    long nnz = 0;
    for (int i = 0; i < N; i++) {
        rowptr[i] = (int)nnz;
        nnz += 4 + i % 21;
    }
    rowptr[N] = (int)nnz;
    int *col = malloc((size_t)nnz * sizeof *col);
    double *val = malloc((size_t)nnz * sizeof *val);
    if (!col || !val)
        return -1;
    for (int i = 0; i < N; i++)
        for (int k = rowptr[i]; k < rowptr[i + 1]; k++) {
            unsigned long h = (unsigned long)k * 2654435761UL + (unsigned long)i * 40503UL;
            col[k] = k == rowptr[i] ? i : (int)((h >> 7) % N);
            val[k] = k == rowptr[i] ? 2.0 : (double)(h % 1000) / 1000.0 - 0.4;
        }
    *colp = col;
    *valp = val;
    return nnz;
}

/* Return max|y| of the last product. */
static double kernel_spmv(const int *rowptr, const int *col, const double *val, double *x, double *y)
{
    double big = 0.0;
    for (int r = 0; r < REPS; r++) {
#pragma omp parallel for
        for (int i = 0; i < N; i++) {
            double s = 0.0;
            for (int k = rowptr[i]; k < rowptr[i + 1]; k++)
                s += val[k] * x[col[k]];
            y[i] = s;
        }
        big = 0.0;
#pragma omp parallel for reduction(max : big)
        for (int i = 0; i < N; i++)
            big = fmax(big, fabs(y[i]));
#pragma omp parallel for
        for (int i = 0; i < N; i++)
            x[i] = y[i] / big;
    }
    return big;
}

int main(void)
{
    int *rowptr = malloc((N + 1) * sizeof *rowptr), *col;
    double *val, *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    if (!rowptr || !x || !y || build(rowptr, &col, &val) < 0)
        return 2;
    for (int i = 0; i < N; i++)
        x[i] = (double)(i % 17 + 1) / 17;
    double big = kernel_spmv(rowptr, col, val, x, y);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        sum += x[i];
    printf("spmv N=%d nnz=%d max %.10e checksum %.10e\n", N, rowptr[N], big, sum);
    free(rowptr);
    free(col);
    free(val);
    free(x);
    free(y);
    return 0;
}
