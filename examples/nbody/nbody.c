/* Gravitational n-body simulation with leapfrog (kick-drift-kick) steps.
 *
 * usage: ./nbody N STEPS   (N bodies, all pairs interact, softened gravity)
 *
 * Total momentum starts at zero and is conserved by the pairwise forces; total
 * energy is conserved up to the leapfrog error, which is tiny at this time
 * step.  The final potential is also summed a second, independent way.  The
 * program checks all three and exits 1 if any fails.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define DT 1e-3
#define EPS2 2.5e-3 /* softening squared keeps close encounters smooth */

struct bodies {
    int n;
    double *x, *y, *z, *vx, *vy, *vz, *ax, *ay, *az, *m;
};

/* Deterministic pseudo-random number in [0, 1) from a 64-bit LCG. */
static double lcg(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static int bodies_init(struct bodies *b, int n)
{
    double **fields[] = {&b->x, &b->y, &b->z, &b->vx, &b->vy, &b->vz, &b->ax, &b->ay, &b->az, &b->m};
    b->n = n;
    for (size_t k = 0; k < sizeof fields / sizeof *fields; k++)
        if (!(*fields[k] = calloc((size_t)n, sizeof(double))))
            return -1;
    unsigned long long s = 42;
    for (int i = 0; i < n; i++) {
        b->x[i] = lcg(&s);
        b->y[i] = lcg(&s);
        b->z[i] = lcg(&s);
        b->vx[i] = lcg(&s) - 0.5;
        b->vy[i] = lcg(&s) - 0.5;
        b->vz[i] = lcg(&s) - 0.5;
        b->m[i] = (0.5 + lcg(&s)) / n;
    }
    return 0;
}

/* Remove the centre-of-mass velocity so total momentum is zero. */
static void zero_momentum(struct bodies *b)
{
    double px = 0.0, py = 0.0, pz = 0.0, mt = 0.0;
    for (int i = 0; i < b->n; i++) {
        px += b->m[i] * b->vx[i];
        py += b->m[i] * b->vy[i];
        pz += b->m[i] * b->vz[i];
        mt += b->m[i];
    }
    for (int i = 0; i < b->n; i++) {
        b->vx[i] -= px / mt;
        b->vy[i] -= py / mt;
        b->vz[i] -= pz / mt;
    }
}

/* Acceleration of every body from all the others (G = 1). */
static void compute_forces(struct bodies *b)
{
    int n = b->n;
    for (int i = 0; i < n; i++) {
        double ax = 0.0, ay = 0.0, az = 0.0;
        for (int j = 0; j < n; j++) {
            double dx = b->x[j] - b->x[i], dy = b->y[j] - b->y[i], dz = b->z[j] - b->z[i];
            double d2 = dx * dx + dy * dy + dz * dz + EPS2;
            double inv = b->m[j] / (d2 * sqrt(d2));
            ax += dx * inv;
            ay += dy * inv;
            az += dz * inv;
        }
        b->ax[i] = ax;
        b->ay[i] = ay;
        b->az[i] = az;
    }
}

static double kinetic(const struct bodies *b)
{
    double kin = 0.0;
    for (int i = 0; i < b->n; i++)
        kin += 0.5 * b->m[i] * (b->vx[i] * b->vx[i] + b->vy[i] * b->vy[i] + b->vz[i] * b->vz[i]);
    return kin;
}

/* Softened potential energy, each pair once. */
static double potential(const struct bodies *b)
{
    int n = b->n;
    double pot = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double dx = b->x[j] - b->x[i], dy = b->y[j] - b->y[i], dz = b->z[j] - b->z[i];
            pot -= b->m[i] * b->m[j] / sqrt(dx * dx + dy * dy + dz * dz + EPS2);
        }
    return pot;
}

/* The same potential summed over ordered pairs and halved: an independent check. */
static double potential_ordered(const struct bodies *b)
{
    int n = b->n;
    double pot = 0.0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double dx = b->x[j] - b->x[i], dy = b->y[j] - b->y[i], dz = b->z[j] - b->z[i];
            if (i != j)
                pot -= 0.5 * b->m[i] * b->m[j] / sqrt(dx * dx + dy * dy + dz * dz + EPS2);
        }
    return pot;
}

/* Half kick, drift, recompute forces, half kick. */
static void leapfrog(struct bodies *b, int steps)
{
    int n = b->n;
    compute_forces(b);
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < n; i++) {
            b->vx[i] += 0.5 * DT * b->ax[i];
            b->vy[i] += 0.5 * DT * b->ay[i];
            b->vz[i] += 0.5 * DT * b->az[i];
            b->x[i] += DT * b->vx[i];
            b->y[i] += DT * b->vy[i];
            b->z[i] += DT * b->vz[i];
        }
        compute_forces(b);
        for (int i = 0; i < n; i++) {
            b->vx[i] += 0.5 * DT * b->ax[i];
            b->vy[i] += 0.5 * DT * b->ay[i];
            b->vz[i] += 0.5 * DT * b->az[i];
        }
    }
}

/* Largest momentum component relative to the sum of |m v|. */
static double momentum_drift(const struct bodies *b)
{
    double px = 0.0, py = 0.0, pz = 0.0, scale = 0.0;
    for (int i = 0; i < b->n; i++) {
        px += b->m[i] * b->vx[i];
        py += b->m[i] * b->vy[i];
        pz += b->m[i] * b->vz[i];
        scale += b->m[i] * (fabs(b->vx[i]) + fabs(b->vy[i]) + fabs(b->vz[i]));
    }
    return fmax(fabs(px), fmax(fabs(py), fabs(pz))) / scale;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500;
    int steps = argc > 2 ? atoi(argv[2]) : 20;
    if (n < 2 || steps < 0) {
        fprintf(stderr, "usage: %s N STEPS (N >= 2, STEPS >= 0)\n", argv[0]);
        return 2;
    }
    struct bodies b;
    if (bodies_init(&b, n)) {
        fprintf(stderr, "out of memory for N=%d\n", n);
        return 2;
    }
    zero_momentum(&b);
    double e0 = kinetic(&b) + potential(&b);
    leapfrog(&b, steps);
    double pot = potential(&b), e1 = kinetic(&b) + pot;
    double edrift = fabs((e1 - e0) / e0), pdrift = momentum_drift(&b);
    double pmismatch = fabs((potential_ordered(&b) - pot) / pot);

    printf("nbody n=%d steps=%d\n", n, steps);
    printf("energy_start %.9e\n", e0);
    printf("energy_end %.9e\n", e1);
    printf("energy_drift %.3e\n", edrift);
    printf("momentum_drift %.3e\n", pdrift);
    printf("potential_mismatch %.3e\n", pmismatch);
    int ok = edrift < 1e-5 && pdrift < 1e-12 && pmismatch < 1e-10;
    printf("check %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
