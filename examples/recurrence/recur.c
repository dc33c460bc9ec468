/* Zero-phase smoothing of a signal with a first-order recursive (IIR) filter.
 *
 * usage: ./recur N ROUNDS   (signal of N samples, ROUNDS forward+backward passes)
 *
 * Each pass is the recurrence x[i] = a x[i-1] + (1-a) x[i], run in place, so
 * every element depends on the one just updated: the hot loop must stay
 * serial.  Generating the signal and checking the result are parallel loops.
 *
 * The signal is a sum of two sinusoids.  Away from the ends, one forward plus
 * one backward pass scales a sinusoid of frequency w by exactly
 * |H(w)|^2 = (1-a)^2 / (1 - 2a cos w + a^2), so the program compares the
 * interior against that and exits 1 on mismatch.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define A 0.5
#define W1 0.01
#define W2 0.03

static double gain2(double w)
{
    return (1.0 - A) * (1.0 - A) / (1.0 - 2.0 * A * cos(w) + A * A);
}

/* Signal scaled by per-component factors g1, g2 (1, 1 for the raw input). */
static double signal(long i, double g1, double g2)
{
    return g1 * sin(W1 * i) + 0.5 * g2 * cos(W2 * i);
}

static void make_signal(double *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = signal(i, 1.0, 1.0);
}

/* Apply the filter forwards then backwards, `rounds` times, in place. */
static void smooth(double *x, long n, int rounds)
{
    for (int r = 0; r < rounds; r++) {
        for (long i = 1; i < n; i++)
            x[i] = A * x[i - 1] + (1.0 - A) * x[i];
        for (long i = n - 2; i >= 0; i--)
            x[i] = A * x[i + 1] + (1.0 - A) * x[i];
    }
}

/* Largest deviation from the exact response on [margin, n - margin). */
static double max_error(const double *x, long n, long margin, double g1, double g2)
{
    double err = 0.0;
    for (long i = margin; i < n - margin; i++) {
        double d = fabs(x[i] - signal(i, g1, g2));
        if (d > err)
            err = d;
    }
    return err;
}

static double checksum(const double *x, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++)
        s += x[i] * x[i];
    return s;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    int rounds = argc > 2 ? atoi(argv[2]) : 10;
    /* Edge transients decay like a^d but widen with every pass; 5 per round is ample for a = 0.5. */
    long margin = 100 + 5L * rounds;
    if (rounds < 0 || n < 2 * margin + 1) {
        fprintf(stderr, "usage: %s N ROUNDS (ROUNDS >= 0, N > 2 * (100 + 5 * ROUNDS))\n", argv[0]);
        return 2;
    }
    double *x = malloc((size_t)n * sizeof *x);
    if (!x) {
        fprintf(stderr, "out of memory for N=%ld\n", n);
        return 2;
    }
    make_signal(x, n);
    smooth(x, n, rounds);

    double g1 = pow(gain2(W1), rounds), g2 = pow(gain2(W2), rounds);
    double err = max_error(x, n, margin, g1, g2);
    printf("recurrence n=%ld rounds=%d\n", n, rounds);
    printf("checksum %.10e\n", checksum(x, n));
    printf("gains %.6e %.6e\n", g1, g2);
    printf("max_error %.3e\n", err);
    int ok = err < 1e-9;
    printf("check %s\n", ok ? "PASS" : "FAIL");
    free(x);
    return ok ? 0 : 1;
}
