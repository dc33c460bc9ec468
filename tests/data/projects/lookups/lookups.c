/* Written in the style of cross-section lookup proxy apps: the work is an outer loop over lookups, each calling a
   per-item function (a binary search, then an accumulation over the bracketing grid points). */
#include <stdio.h>
#include <stdlib.h>

#define NUCLIDES 8

static int bracket(const double *grid, int n, double e) {
    int lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (grid[mid] > e)
            hi = mid;
        else
            lo = mid;
    }
    return lo;
}

static double cross_section(const double *grid, const double *data, int n, double e) {
    int k = bracket(grid, n, e);
    double f = (e - grid[k]) / (grid[k + 1] - grid[k]);
    double total = 0.0;
    for (int m = 0; m < NUCLIDES; m++)
        total += data[k * NUCLIDES + m] * (1.0 - f) + data[(k + 1) * NUCLIDES + m] * f;
    return total;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    long lookups = argc > 2 ? atol(argv[2]) : 6000000;
    double *grid = malloc(n * sizeof *grid), *data = malloc((size_t)n * NUCLIDES * sizeof *data);
    double *energy = malloc(lookups * sizeof *energy), *xs = malloc(lookups * sizeof *xs);
    for (int i = 0; i < n; i++)
        grid[i] = (double)i / n;
    for (long j = 0; j < (long)n * NUCLIDES; j++)
        data[j] = (double)(j % 97) / 97.0;
    unsigned long seed = 42;
    for (long i = 0; i < lookups; i++) {  /* the inputs, drawn before the timed work */
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        energy[i] = (double)(seed >> 11) / 9007199254740992.0 * (n - 2.0) / n;
    }
    for (long i = 0; i < lookups; i++)
        xs[i] = cross_section(grid, data, n, energy[i]);
    double sum = 0.0;
    for (long i = 0; i < lookups; i++)
        sum += xs[i];
    printf("lookups %ld checksum %.10e\n", lookups, sum);
    free(grid);
    free(data);
    free(energy);
    free(xs);
    return 0;
}
