/* floydwarshall: all-pairs shortest path lengths on a dense weighted digraph. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 1500
#endif

static void init(double path[N][N])
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            /* Sparse-ish: only some edges are cheap, the rest cost 999 (no direct edge). */
            path[i][j] = (i * j) % 7 + 1;
            if ((i + j) % 13 == 0 || (i + j) % 7 == 0 || (i + j) % 11 == 0)
                path[i][j] = 999;
            if (i == j)
                path[i][j] = 0;
        }
}

static void kernel_floydwarshall(double path[N][N])
{
#pragma omp parallel
    for (int k = 0; k < N; k++)
#pragma omp for
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double via = path[i][k] + path[k][j];
                if (via < path[i][j])
                    path[i][j] = via;
            }
}

int main(void)
{
    double (*path)[N] = malloc(sizeof(double[N][N]));
    if (!path)
        return 2;
    init(path);
    kernel_floydwarshall(path);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += path[i][j] * ((i + j) % 3 + 1);
    printf("floydwarshall N=%d checksum %.10e\n", N, sum);
    free(path);
    return 0;
}
