/* OpenMP reference: none. Every sweep reads values updated earlier in the same sweep, so the
 * loops stay serial; a wavefront or red-black ordering would change the answer. */
/* seidel2d: in-place 9-point Gauss-Seidel sweeps; each point reads neighbours updated in this sweep. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 1000
#endif
#ifndef TSTEPS
#define TSTEPS 200
#endif

static void init(double A[N][N])
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            A[i][j] = (double)((i * (j + 2) + 2) % N) / N;
}

/* Both the i and the j loop carry dependences (A[i-1][*] and A[i][j-1] are new values). */
static void kernel_seidel2d(double A[N][N])
{
    for (int t = 0; t < TSTEPS; t++)
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                A[i][j] = (A[i - 1][j - 1] + A[i - 1][j] + A[i - 1][j + 1]
                         + A[i][j - 1] + A[i][j] + A[i][j + 1]
                         + A[i + 1][j - 1] + A[i + 1][j] + A[i + 1][j + 1]) / 9.0;
}

int main(void)
{
    double (*A)[N] = malloc(sizeof(double[N][N]));
    if (!A)
        return 2;
    init(A);
    kernel_seidel2d(A);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += A[i][j];
    printf("seidel2d N=%d TSTEPS=%d checksum %.10e\n", N, TSTEPS, sum);
    free(A);
    return 0;
}
