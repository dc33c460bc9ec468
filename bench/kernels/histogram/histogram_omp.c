/* histogram: counts of NBINS equal-width bins over a data set, accumulated over REPS passes. */
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 16000000
#endif
#ifndef NBINS
#define NBINS 256
#endif
#ifndef REPS
#define REPS 120
#endif

/* Values in [0, 1) from a multiplicative hash, squared so the bins fill unevenly. */
static void init(float *data)
{
    for (long i = 0; i < N; i++) {
        unsigned int h = (unsigned int)i * 2654435761u;
        float u = (float)(h >> 8) / 16777216.0f;
        data[i] = u * u;
    }
}

static void kernel_histogram(const float *data, long *hist)
{
    for (int b = 0; b < NBINS; b++)
        hist[b] = 0;
    for (int r = 0; r < REPS; r++)
#pragma omp parallel for reduction(+ : hist[:NBINS])
        for (long i = 0; i < N; i++) {
            /* Shift the data a little each pass so the passes are not identical. */
            float v = data[i] + (float)r / (4.0f * REPS);
            int b = (int)(v * NBINS) % NBINS;
            hist[b]++;
        }
}

int main(void)
{
    float *data = malloc((size_t)N * sizeof *data);
    long *hist = malloc(NBINS * sizeof *hist);
    if (!data || !hist)
        return 2;
    init(data);
    kernel_histogram(data, hist);
    double sum = 0.0;
    long total = 0;
    for (int b = 0; b < NBINS; b++) {
        sum += (double)hist[b] * (b + 1);
        total += hist[b];
    }
    printf("histogram N=%d NBINS=%d total %ld checksum %.10e\n", N, NBINS, total, sum);
    free(data);
    free(hist);
    return 0;
}
