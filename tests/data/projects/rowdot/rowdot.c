/* Dot products of each row of a matrix with a vector, summed over repetitions: one scalar sum per row. gcc keeps a
 * floating-point sum in its written order (one add after another) unless told the order is free. */
#include <stdio.h>
#include <stdlib.h>

#define NMAX 2000
static double A[NMAX][NMAX], x[NMAX], y[NMAX];

static void init(int n)
{
    for (int i = 0; i < n; i++) {
        x[i] = (double)(i % 9) / 9.0;
        for (int j = 0; j < n; j++)
            A[i][j] = (double)((i * 3 + j * 7) % 23) / 23.0;
    }
}

static void rowdot(int n, int reps)
{
    for (int i = 0; i < n; i++) {
        double s = 0.0;
        for (int r = 0; r < reps; r++)
            for (int j = 0; j < n; j++)
                s += A[i][j] * x[j];
        y[i] = s / reps;
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500;
    int reps = argc > 2 ? atoi(argv[2]) : 100;
    if (n < 1 || n > NMAX || reps < 1) {
        fprintf(stderr, "usage: rowdot [n [reps]], 1 <= n <= %d, reps >= 1\n", NMAX);
        return 2;
    }
    init(n);
    rowdot(n, reps);
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += y[i] * (i % 5 + 1);
    printf("rowdot n=%d reps=%d checksum %.10e\n", n, reps, sum);
    return 0;
}
