/* fdtd2d: 2-D finite-difference time-domain (Yee) update of ex, ey, hz with a source row. */
#include <stdio.h>
#include <stdlib.h>

#ifndef NX
#define NX 1000
#endif
#ifndef NY
#define NY 1000
#endif
#ifndef TMAX
#define TMAX 1000
#endif

static void init(double ex[NX][NY], double ey[NX][NY], double hz[NX][NY], double *fict)
{
    for (int t = 0; t < TMAX; t++)
        fict[t] = (double)t;
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++) {
            ex[i][j] = ((double)i * (j + 1)) / NX;
            ey[i][j] = ((double)i * (j + 2)) / NY;
            hz[i][j] = ((double)i * (j + 3)) / NX;
        }
}

static void kernel_fdtd2d(double ex[NX][NY], double ey[NX][NY], double hz[NX][NY], double *fict)
{
#pragma omp parallel
    for (int t = 0; t < TMAX; t++) {
#pragma omp for
        for (int j = 0; j < NY; j++)
            ey[0][j] = fict[t];
#pragma omp for
        for (int i = 1; i < NX; i++)
            for (int j = 0; j < NY; j++)
                ey[i][j] -= 0.5 * (hz[i][j] - hz[i - 1][j]);
#pragma omp for
        for (int i = 0; i < NX; i++)
            for (int j = 1; j < NY; j++)
                ex[i][j] -= 0.5 * (hz[i][j] - hz[i][j - 1]);
#pragma omp for
        for (int i = 0; i < NX - 1; i++)
            for (int j = 0; j < NY - 1; j++)
                hz[i][j] -= 0.7 * (ex[i][j + 1] - ex[i][j] + ey[i + 1][j] - ey[i][j]);
    }
}

int main(void)
{
    double (*ex)[NY] = malloc(sizeof(double[NX][NY]));
    double (*ey)[NY] = malloc(sizeof(double[NX][NY]));
    double (*hz)[NY] = malloc(sizeof(double[NX][NY]));
    double *fict = malloc(TMAX * sizeof *fict);
    if (!ex || !ey || !hz || !fict)
        return 2;
    init(ex, ey, hz, fict);
    kernel_fdtd2d(ex, ey, hz, fict);
    double sum = 0.0;
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++)
            sum += ex[i][j] + ey[i][j] + hz[i][j];
    printf("fdtd2d NX=%d NY=%d TMAX=%d checksum %.10e\n", NX, NY, TMAX, sum);
    free(ex);
    free(ey);
    free(hz);
    free(fict);
    return 0;
}
