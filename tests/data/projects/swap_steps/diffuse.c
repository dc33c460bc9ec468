/* 2-D diffusion with two grids swapped after every step, and a progress line every 50 steps: the time loop's body
   is two sweeps plus statements that must run once per step. */
#include <stdio.h>
#include <stdlib.h>

static double checksum(const double *u, int n)
{
    double s = 0.0;
    for (int i = 0; i < n * n; i++)
        s += u[i] * (double)(i % 7 + 1);
    return s;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    int steps = argc > 2 ? atoi(argv[2]) : 100;
    double *u = malloc(sizeof *u * n * n), *v = malloc(sizeof *v * n * n);
    if (!u || !v) {
        fprintf(stderr, "out of memory for n=%d\n", n);
        return 1;
    }
    for (int i = 0; i < n * n; i++)
        u[i] = v[i] = (double)((i * 7919) % 1000) / 1000.0;
    for (int t = 0; t < steps; t++) {
        for (int i = 1; i < n - 1; i++)
            for (int j = 1; j < n - 1; j++)
                v[i * n + j] = u[i * n + j] + 0.2 * (u[(i - 1) * n + j] + u[(i + 1) * n + j] + u[i * n + j - 1]
                                                     + u[i * n + j + 1] - 4.0 * u[i * n + j]);
        double *tmp = u;
        u = v;
        v = tmp;
        if (t % 50 == 0)
            printf("step %d\n", t);
    }
    printf("checksum %.10e\n", checksum(u, n));
    free(u);
    free(v);
    return 0;
}
