/* doitgen_sa: doitgen (A[r][q][:] = A[r][q][:] * C4 for every (r, q)) on static arrays of a compile-time size, the
 * form Polly analyses; the same sizes and numbers as the pointer form in doitgen/. */
#include <stdio.h>

#ifndef NR
#define NR 256
#endif
#ifndef NQ
#define NQ 256
#endif
#ifndef NP
#define NP 320
#endif

static double A[NR][NQ][NP], C4[NP][NP];

static void init(void)
{
    for (int r = 0; r < NR; r++)
        for (int q = 0; q < NQ; q++)
            for (int p = 0; p < NP; p++)
                A[r][q][p] = (double)((r * q + p) % NP) / NP;
    for (int i = 0; i < NP; i++)
        for (int j = 0; j < NP; j++)
            C4[i][j] = (double)(i * j % NP) / NP;
}

static void kernel_doitgen_sa(void)
{
#pragma omp parallel for collapse(2)
    for (int r = 0; r < NR; r++)
        for (int q = 0; q < NQ; q++) {
            double sum[NP]; /* private per (r, q): the file-scope scratch array would race */
            for (int p = 0; p < NP; p++)
                sum[p] = 0.0;
            for (int s = 0; s < NP; s++)
                for (int p = 0; p < NP; p++)
                    sum[p] += A[r][q][s] * C4[s][p];
            for (int p = 0; p < NP; p++)
                A[r][q][p] = sum[p];
        }
}

int main(void)
{
    init();
    kernel_doitgen_sa();
    double total = 0.0;
    for (int r = 0; r < NR; r++)
        for (int q = 0; q < NQ; q++)
            for (int p = 0; p < NP; p++)
                total += A[r][q][p];
    printf("doitgen_sa NR=%d NQ=%d NP=%d checksum %.10e\n", NR, NQ, NP, total);
    return 0;
}
