/* mini: a compute-bound map (parallel), a sum (reduction) and a recurrence (must stay serial). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void transform(double *restrict y, const double *restrict x, int n, int work)
{
    for (int i = 0; i < n; i++) {
        double v = x[i];
        for (int k = 0; k < work; k++)
            v = sin(v) + 0.5 * x[i];
        y[i] = v;
    }
}

static double total(const double *y, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += y[i];
    return s;
}

static void smooth(double *z, int n)
{
    for (int i = 1; i < n; i++)
        z[i] = 0.5 * z[i - 1] + z[i];
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    int work = argc > 2 ? atoi(argv[2]) : 100;
    double *x = malloc(sizeof *x * n), *y = malloc(sizeof *y * n);
    if (!x || !y) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (int i = 0; i < n; i++)
        x[i] = (double)(i % 1000) / 1000.0;
    transform(y, x, n, work);
    smooth(y, n);
    printf("n=%d work=%d total=%.10e\n", n, work, total(y, n));
    free(x);
    free(y);
    return 0;
}
