/* A matrix product written the textbook way: i, j, k, the inner loop walking B down a column. */
#include <stdio.h>
#include <stdlib.h>

#define NMAX 1024
static double A[NMAX][NMAX], B[NMAX][NMAX], C[NMAX][NMAX];

static void init(int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            A[i][j] = (double)((i * 7 + j * 3) % 13) / 13.0;
            B[i][j] = (double)((i * 5 + j * 11) % 17) / 17.0;
            C[i][j] = 0.0;
        }
}

static void matmul(int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++)
                C[i][j] += A[i][k] * B[k][j];
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500;
    if (n < 1 || n > NMAX) {
        fprintf(stderr, "usage: matmul [n], 1 <= n <= %d\n", NMAX);
        return 2;
    }
    init(n);
    matmul(n);
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            sum += C[i][j] * (1.0 + (i + j) % 5);
    printf("n=%d checksum %.12e\n", n, sum);
    return 0;
}
