/* Written in the style of Monte Carlo particle-history proxy apps: each history has its own random stream, a seed
   declared in the loop body and advanced through a pointer; each step calls a per-item function that fills an
   output array declared in the loop body; complex arithmetic goes through small helpers that return a struct
   built in a local. The steps of one history depend on each other; the histories do not. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct { double re, im; } cplx;

static cplx c_mul(cplx a, cplx b) {
    cplx c;
    c.re = a.re * b.re - a.im * b.im;
    c.im = a.re * b.im + a.im * b.re;
    return c;
}

static cplx c_inv(cplx a) {
    cplx c;
    double d = a.re * a.re + a.im * a.im;
    c.re = a.re / d;
    c.im = -a.im / d;
    return c;
}

static double next_uniform(uint64_t *state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 9007199254740992.0;
}

static int pick_region(uint64_t *state, int regions) {
    return (int)(next_uniform(state) * regions) % regions;
}

/* what one step sees: four partial sums over the region's poles */
static void sample(double *out, const double *poles, int npoles, int region, double e) {
    for (int k = 0; k < 4; k++)
        out[k] = 0.0;
    for (int p = 0; p < npoles; p++) {
        cplx z = {e - poles[region * npoles + p], 0.5 + 0.01 * p};
        cplx w = c_mul(c_inv(z), z);
        out[p % 4] += w.re + 1.0 / (z.re * z.re + z.im * z.im);
    }
}

int main(int argc, char **argv) {
    int histories = argc > 1 ? atoi(argv[1]) : 200000;
    int steps = argc > 2 ? atoi(argv[2]) : 40;
    int regions = 12, npoles = 64;
    double *poles = malloc(sizeof(double) * regions * npoles);
    for (int i = 0; i < regions * npoles; i++)
        poles[i] = (double)((i * 37) % 101) / 101.0;
    unsigned long tally = 0;
    for (int h = 0; h < histories; h++) {
        uint64_t seed = 1000003ULL * (uint64_t)h + 7;
        double e = next_uniform(&seed);
        int region = pick_region(&seed, regions);
        for (int s = 0; s < steps; s++) {
            double xs[4];
            sample(xs, poles, npoles, region, e);
            int best = 0;
            for (int k = 1; k < 4; k++)
                if (xs[k] > xs[best])
                    best = k;
            tally += best + 1;
            e = fmod(e + 0.25 * next_uniform(&seed), 1.0);
            region = pick_region(&seed, regions);
        }
    }
    printf("histories %d steps %d tally %lu\n", histories, steps, tally);
    free(poles);
    return 0;
}
