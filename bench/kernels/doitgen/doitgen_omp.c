/* doitgen: multiresolution analysis kernel, A[r][q][:] = A[r][q][:] * C4 for every (r, q). */
#include <stdio.h>
#include <stdlib.h>

#ifndef NR
#define NR 256
#endif
#ifndef NQ
#define NQ 256
#endif
#ifndef NP
#define NP 320
#endif

static void init(double A[NR][NQ][NP], double C4[NP][NP])
{
    for (int r = 0; r < NR; r++)
        for (int q = 0; q < NQ; q++)
            for (int p = 0; p < NP; p++)
                A[r][q][p] = (double)((r * q + p) % NP) / NP;
    for (int i = 0; i < NP; i++)
        for (int j = 0; j < NP; j++)
            C4[i][j] = (double)(i * j % NP) / NP;
}

static void kernel_doitgen(double A[NR][NQ][NP], double C4[NP][NP], double *scratch)
{
#pragma omp parallel for collapse(2)
    for (int r = 0; r < NR; r++)
        for (int q = 0; q < NQ; q++) {
            double sum[NP]; /* private per (r, q): the shared scratch array would race */
            for (int p = 0; p < NP; p++)
                sum[p] = 0.0;
            for (int s = 0; s < NP; s++)
                for (int p = 0; p < NP; p++)
                    sum[p] += A[r][q][s] * C4[s][p];
            for (int p = 0; p < NP; p++)
                A[r][q][p] = sum[p];
        }
    (void)scratch;
}

int main(void)
{
    double (*A)[NQ][NP] = malloc(sizeof(double[NR][NQ][NP]));
    double (*C4)[NP] = malloc(sizeof(double[NP][NP]));
    double *sum = malloc(NP * sizeof *sum);
    if (!A || !C4 || !sum)
        return 2;
    init(A, C4);
    kernel_doitgen(A, C4, sum);
    double total = 0.0;
    for (int r = 0; r < NR; r++)
        for (int q = 0; q < NQ; q++)
            for (int p = 0; p < NP; p++)
                total += A[r][q][p];
    printf("doitgen NR=%d NQ=%d NP=%d checksum %.10e\n", NR, NQ, NP, total);
    free(A);
    free(C4);
    free(sum);
    return 0;
}
