/* A symmetric rank-k update on the lower triangle, written the textbook way: C = beta C + alpha A A^T, with the
 * product's k loop outside its j loop, so A[j][k] walks a column innermost. The row loop i is parallel (each i
 * writes row i of C); the band inside it may run j outside k, which walks rows of A instead. */
#include <stdio.h>
#include <stdlib.h>

#define NMAX 2000
static double A[NMAX][NMAX], C[NMAX][NMAX];

static void syrk(int n, double alpha, double beta)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j <= i; j++)
            C[i][j] *= beta;
        for (int k = 0; k < n; k++)
            for (int j = 0; j <= i; j++)
                C[i][j] += alpha * A[i][k] * A[j][k];
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500;
    if (n < 1 || n > NMAX) {
        fprintf(stderr, "usage: syrk [n], 1 <= n <= %d\n", NMAX);
        return 2;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            A[i][j] = (double)((i * j + 1) % 17) / 17.0;
            C[i][j] = (double)((i + 2 * j) % 13) / 13.0;
        }
    syrk(n, 1.5, 1.2);
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++)
            sum += C[i][j] * (j % 7 + 1);
    printf("syrk n=%d checksum %.10e\n", n, sum);
    return 0;
}
