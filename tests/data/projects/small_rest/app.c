/* one hot loop and four small ones: each small loop alone is under the acceptance bar, together they are not */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void heavy(double *restrict y, const double *restrict x, int n, int work)
{
    for (int i = 0; i < n; i++) {
        double v = x[i];
        for (int k = 0; k < work; k++)
            v = sin(v) + 0.5 * x[i];
        y[i] = v;
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    int work = argc > 2 ? atoi(argv[2]) : 400, w = work / 32;
    double *x = malloc(sizeof *x * n), *y = malloc(sizeof *y * n), *z = malloc(sizeof *z * n);
    if (!x || !y || !z)
        return 1;
    for (int i = 0; i < n; i++)
        x[i] = (double)(i % 1000) / 1000.0;
    heavy(y, x, n, work);
    for (int i = 0; i < n; i++) {
        double v = y[i];
        for (int k = 0; k < w; k++)
            v = cos(v) * 0.25 + y[i];
        z[i] = v;
    }
    for (int i = 0; i < n; i++) {
        double v = z[i];
        for (int k = 0; k < w; k++)
            v = cos(v) * 0.5 + z[i];
        x[i] = v;
    }
    for (int i = 0; i < n; i++) {
        double v = x[i];
        for (int k = 0; k < w; k++)
            v = sin(v) * 0.75 + x[i];
        y[i] = v;
    }
    for (int i = 0; i < n; i++) {
        double v = y[i];
        for (int k = 0; k < w; k++)
            v = cos(v) * 0.125 + y[i];
        z[i] = v;
    }
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += z[i];
    printf("%.6e\n", s);
    free(x);
    free(y);
    free(z);
    return 0;
}
