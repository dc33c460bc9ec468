/* Scratch (work) arrays: each iteration of the outer loop fills a buffer, then reads it. As written the buffer is
   shared by all iterations, so a parallel for on these loops is wrong (threads overwrite each other's buffer);
   declaring the buffer inside the loop body (one per iteration) would make most of them parallel. */
#include <stdio.h>
#include <stdlib.h>

#define N 48
#define M 64

static double grid[M][N], out[M][N], coef[N][N];

/* a local row buffer: copied in, then a three-point average written out */
static void smooth_rows(void)
{
    double row[N];
    /* expect: serial */
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++)
            row[j] = grid[i][j];
        for (int j = 1; j < N - 1; j++)
            out[i][j] = 0.25 * row[j - 1] + 0.5 * row[j] + 0.25 * row[j + 1];
    }
}

/* a freshly allocated accumulator, cleared, summed into, then copied out (doitgen's shape) */
static void project_rows(void)
{
    double *acc = malloc(N * sizeof *acc);
    if (!acc)
        return;
    /* expect: serial */
    for (int i = 0; i < M; i++) {
        for (int k = 0; k < N; k++)
            acc[k] = 0.0;
        for (int s = 0; s < N; s++)
            for (int k = 0; k < N; k++)
                acc[k] += grid[i][s] * coef[s][k];
        for (int k = 0; k < N; k++)
            out[i][k] += acc[k];
    }
    free(acc);
}

/* the buffer comes from the caller: what the loop leaves in it is visible after the call */
static void reverse_rows(double (*src)[N], double (*dst)[N], double *tmp)
{
    /* expect: serial */
    for (int i = 0; i < M; i++) {
        for (int j = N - 1; j >= 0; j--)
            tmp[j] = src[i][N - 1 - j];
        for (int j = 0; j < N; j++)
            dst[i][j] -= tmp[j];
    }
}

/* the buffer is read after the loop: the last row's contents are used */
static double last_row_total(void)
{
    double row[N];
    /* expect: serial */
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++)
            row[j] = grid[i][j] * 2.0;
        for (int j = 0; j < N; j++)
            out[i][j] += row[j];
    }
    double s = 0.0;
    for (int j = 0; j < N; j++)
        s += row[j];
    return s;
}

/* only half the buffer is refilled: the other half carries values from earlier iterations */
static void half_refill(void)
{
    double row[N];
    for (int j = 0; j < N; j++)
        row[j] = 1.0;
    /* expect: serial */
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N / 2; j++)
            row[j] = grid[i][j];
        for (int j = 0; j < N; j++) {
            out[i][j] += row[j];
            row[j] = 0.5 * row[j];
        }
    }
}

/* the buffer accumulates across iterations (a running sum per column): a real dependence */
static void running_columns(void)
{
    double col[N] = {0};
    /* expect: serial */
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++)
            col[j] += grid[i][j];
        for (int j = 0; j < N; j++)
            out[i][j] += col[j];
    }
}

int main(void)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            grid[i][j] = (double)((i * 13 + j * 7) % 23) / 23.0;
    for (int s = 0; s < N; s++)
        for (int k = 0; k < N; k++)
            coef[s][k] = (double)((s + 2 * k) % 11) / 11.0;
    double *tmp = malloc(N * sizeof *tmp);
    if (!tmp)
        return 1;
    smooth_rows();
    project_rows();
    reverse_rows(grid, out, tmp);
    double t = last_row_total();
    half_refill();
    running_columns();
    double sum = t + tmp[0];
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            sum += out[i][j] * (1 + (i + j) % 3);
    printf("scratch checksum %.10e\n", sum);
    free(tmp);
    return 0;
}
