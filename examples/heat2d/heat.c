/* 2-D heat equation, explicit Jacobi time stepping on the unit square.
 *
 * usage: ./heat N STEPS   (N x N interior points, zero boundary)
 *
 * The initial field is a sum of two discrete sine modes.  Each mode is an
 * exact eigenvector of the 5-point Laplacian, so after k steps its amplitude
 * is exactly g^k with g = 1 - 4r(sin^2(p pi h/2) + sin^2(q pi h/2)).  The
 * program compares the computed field against that and exits 1 on mismatch.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define R 0.2 /* diffusion number dt/h^2; explicit scheme is stable for R <= 0.25 */

static const double PI = 3.14159265358979323846;

/* Mode (p, q) with amplitude a: u = a sin(p pi x) sin(q pi y). */
struct mode { int p, q; double a; };
static const struct mode MODES[2] = {{1, 1, 1.0}, {2, 3, 0.5}};

/* Sine tables: tab[k][0..n+1] = sin(p_k pi i h), tab[k][n+2..] = sin(q_k pi j h). */
static double *mode_tables(int n, double h)
{
    int w = n + 2;
    double *t = malloc(4 * (size_t)w * sizeof *t);
    if (!t)
        return NULL;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < w; i++) {
            t[(2 * k) * w + i] = sin(MODES[k].p * PI * i * h);
            t[(2 * k + 1) * w + i] = sin(MODES[k].q * PI * i * h);
        }
    return t;
}

/* Value of mode k at (i, j), scaled by amplitude and growth factor gk. */
static double mode_value(const double *tab, int n, int k, int i, int j, double gk)
{
    int w = n + 2;
    return gk * MODES[k].a * tab[(2 * k) * w + i] * tab[(2 * k + 1) * w + j];
}

static double mode_growth(const struct mode *m, double h)
{
    double sp = sin(m->p * PI * h / 2.0), sq = sin(m->q * PI * h / 2.0);
    return 1.0 - 4.0 * R * (sp * sp + sq * sq);
}

/* Fill the (n+2)^2 grid, boundary included, with the two modes. */
static void init_grid(double *u, int n, const double *tab)
{
    int w = n + 2;
    for (int i = 0; i < w; i++)
        for (int j = 0; j < w; j++)
            u[(long)i * w + j] = mode_value(tab, n, 0, i, j, 1.0) + mode_value(tab, n, 1, i, j, 1.0);
}

/* One explicit step: unew = u + R * laplacian(u) on the interior. */
static void heat_step(const double *restrict u, double *restrict unew, int n)
{
    int w = n + 2;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= n; j++) {
            long c = (long)i * w + j;
            unew[c] = u[c] + R * (u[c - w] + u[c + w] + u[c - 1] + u[c + 1] - 4.0 * u[c]);
        }
}

/* Run the time loop; the result ends up in *u. */
static void heat_solve(double **u, double **unew, int n, int steps)
{
    for (int s = 0; s < steps; s++) {
        heat_step(*u, *unew, n);
        double *t = *u;
        *u = *unew;
        *unew = t;
    }
}

/* Return max |u - exact| over the interior after `steps` steps. */
static double max_error(const double *u, int n, int steps, double h, const double *tab)
{
    int w = n + 2;
    double g0 = pow(mode_growth(&MODES[0], h), steps);
    double g1 = pow(mode_growth(&MODES[1], h), steps);
    double err = 0.0;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= n; j++) {
            double exact = mode_value(tab, n, 0, i, j, g0) + mode_value(tab, n, 1, i, j, g1);
            double d = fabs(u[(long)i * w + j] - exact);
            if (d > err)
                err = d;
        }
    return err;
}

static double checksum(const double *u, int n)
{
    int w = n + 2;
    double sum = 0.0;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= n; j++)
            sum += u[(long)i * w + j];
    return sum;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    int steps = argc > 2 ? atoi(argv[2]) : 50;
    if (n < 4 || steps < 0) {
        fprintf(stderr, "usage: %s N STEPS (N >= 4, STEPS >= 0)\n", argv[0]);
        return 2;
    }
    double h = 1.0 / (n + 1);
    size_t cells = (size_t)(n + 2) * (n + 2);
    double *u = malloc(cells * sizeof *u), *unew = malloc(cells * sizeof *unew);
    double *tab = mode_tables(n, h);
    if (!u || !unew || !tab) {
        fprintf(stderr, "out of memory for N=%d\n", n);
        return 2;
    }
    init_grid(u, n, tab);
    init_grid(unew, n, tab); /* boundary values must be present in both grids */
    heat_solve(&u, &unew, n, steps);

    double err = max_error(u, n, steps, h, tab);
    printf("heat2d n=%d steps=%d\n", n, steps);
    printf("checksum %.10e\n", checksum(u, n));
    printf("max_error %.3e\n", err);
    int ok = err < 1e-10;
    printf("check %s\n", ok ? "PASS" : "FAIL");
    free(u);
    free(unew);
    free(tab);
    return ok ? 0 : 1;
}
