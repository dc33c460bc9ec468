/* Conjugate gradient on the 2-D Poisson matrix (5-point stencil) in CSR form.
 *
 * usage: ./cg M MAXITER [TOL]   (M x M grid, so N = M*M unknowns)
 *
 * The right-hand side is b = A x_true for a known x_true.  The program checks
 * that the recursively updated residual agrees with the true residual b - A x
 * and, if CG converged, that x matches x_true; it exits 1 if either fails.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct csr {
    int n;
    int *rowptr, *col;
    double *val;
};

/* Build the 5-point Laplacian (4 on the diagonal, -1 to each grid neighbour). */
static int poisson_csr(struct csr *a, int m)
{
    int n = m * m;
    a->n = n;
    a->rowptr = malloc((size_t)(n + 1) * sizeof *a->rowptr);
    a->col = malloc((size_t)5 * n * sizeof *a->col);
    a->val = malloc((size_t)5 * n * sizeof *a->val);
    if (!a->rowptr || !a->col || !a->val)
        return -1;
    int k = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            int row = i * m + j;
            a->rowptr[row] = k;
            /* Columns in increasing order, as CSR readers usually expect. */
            if (i > 0) { a->col[k] = row - m; a->val[k++] = -1.0; }
            if (j > 0) { a->col[k] = row - 1; a->val[k++] = -1.0; }
            a->col[k] = row; a->val[k++] = 4.0;
            if (j < m - 1) { a->col[k] = row + 1; a->val[k++] = -1.0; }
            if (i < m - 1) { a->col[k] = row + m; a->val[k++] = -1.0; }
        }
    a->rowptr[n] = k;
    return 0;
}

/* y = A x */
static void spmv(const struct csr *a, const double *x, double *y)
{
    for (int i = 0; i < a->n; i++) {
        double s = 0.0;
        for (int k = a->rowptr[i]; k < a->rowptr[i + 1]; k++)
            s += a->val[k] * x[a->col[k]];
        y[i] = s;
    }
}

static double dot(const double *x, const double *y, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += x[i] * y[i];
    return s;
}

/* y += alpha x */
static void axpy(double alpha, const double *x, double *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] += alpha * x[i];
}

/* p = r + beta p */
static void xpby(const double *r, double beta, double *p, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = r[i] + beta * p[i];
}

/* Solve A x = b from x = 0; return the iteration count, set *rr to r.r at the end. */
static int cg_solve(const struct csr *a, const double *b, double *x, double *r, double *p, double *q,
                    int maxiter, double tol, double *rr)
{
    int n = a->n;
    for (int i = 0; i < n; i++) {
        x[i] = 0.0;
        r[i] = b[i];
        p[i] = b[i];
    }
    double rho = dot(r, r, n), stop = tol * tol * rho;
    int it = 0;
    while (it < maxiter && rho > stop) {
        spmv(a, p, q);
        double alpha = rho / dot(p, q, n);
        axpy(alpha, p, x, n);
        axpy(-alpha, q, r, n);
        double rho_new = dot(r, r, n);
        xpby(r, rho_new / rho, p, n);
        rho = rho_new;
        it++;
    }
    *rr = rho;
    return it;
}

int main(int argc, char **argv)
{
    int m = argc > 1 ? atoi(argv[1]) : 100;
    int maxiter = argc > 2 ? atoi(argv[2]) : 1000;
    double tol = argc > 3 ? atof(argv[3]) : 1e-10;
    if (m < 2 || maxiter < 1 || !(tol > 0.0)) {
        fprintf(stderr, "usage: %s M MAXITER [TOL] (M >= 2, MAXITER >= 1, TOL > 0)\n", argv[0]);
        return 2;
    }
    struct csr a;
    int n = m * m;
    double *xt = malloc((size_t)n * sizeof *xt), *b = malloc((size_t)n * sizeof *b);
    double *x = malloc((size_t)n * sizeof *x), *r = malloc((size_t)n * sizeof *r);
    double *p = malloc((size_t)n * sizeof *p), *q = malloc((size_t)n * sizeof *q);
    if (poisson_csr(&a, m) || !xt || !b || !x || !r || !p || !q) {
        fprintf(stderr, "out of memory for M=%d\n", m);
        return 2;
    }
    /* A rough, deterministic x_true so that CG has every mode to resolve. */
    for (int i = 0; i < n; i++)
        xt[i] = 1.0 + (double)((i * 7919L) % 1000) / 1000.0;
    spmv(&a, xt, b);

    double rr;
    int it = cg_solve(&a, b, x, r, p, q, maxiter, tol, &rr);
    int converged = rr <= tol * tol * dot(b, b, n);

    /* True residual b - A x, against the recursively updated one. */
    spmv(&a, x, q);
    for (int i = 0; i < n; i++)
        q[i] = b[i] - q[i];
    double bnorm = sqrt(dot(b, b, n)), true_res = sqrt(dot(q, q, n)), rec_res = sqrt(rr);
    for (int i = 0; i < n; i++)
        q[i] = x[i] - xt[i];
    double err = sqrt(dot(q, q, n) / dot(xt, xt, n));

    printf("cg m=%d n=%d iterations=%d converged %s\n", m, n, it, converged ? "yes" : "no");
    printf("relative_residual %.6e\n", rec_res / bnorm);
    printf("solution_sum %.10e\n", dot(x, b, n) / bnorm);
    printf("relative_error %.3e\n", err);
    int ok = fabs(true_res - rec_res) <= 1e-8 * bnorm && (!converged || err < 1e-6);
    printf("check %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
