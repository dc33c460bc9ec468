/* bicg: the two products of BiCG, s = A^T r and q = A p, iterated with normalisation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef N
#define N 3000
#endif
#ifndef REPS
#define REPS 200
#endif

static void init(double A[N][N], double *r, double *p)
{
    for (int i = 0; i < N; i++) {
        r[i] = (double)(i % N) / N;
        p[i] = (double)((i * 3 + 1) % N) / N;
        for (int j = 0; j < N; j++)
            A[i][j] = (double)(i * (j + 1) % N) / N;
    }
}

static double norm2(const double *v)
{
    double s = 0.0;
#pragma omp parallel for reduction(+ : s)
    for (int i = 0; i < N; i++)
        s += v[i] * v[i];
    return sqrt(s);
}

/* Each rep feeds the normalised results back: r = q / |q|, p = s / |s|. */
static void kernel_bicg(double A[N][N], double *r, double *p, double *s, double *q)
{
    for (int rep = 0; rep < REPS; rep++) {
#pragma omp parallel for
        for (int j = 0; j < N; j++)
            s[j] = 0.0;
#pragma omp parallel for reduction(+ : s[:N])
        for (int i = 0; i < N; i++) {
            double t = 0.0;
            for (int j = 0; j < N; j++) {
                s[j] += r[i] * A[i][j];
                t += A[i][j] * p[j];
            }
            q[i] = t;
        }
        double ns = norm2(s), nq = norm2(q);
#pragma omp parallel for
        for (int i = 0; i < N; i++) {
            r[i] = q[i] / nq;
            p[i] = s[i] / ns;
        }
    }
}

int main(void)
{
    double (*A)[N] = malloc(sizeof(double[N][N]));
    double *r = malloc(N * sizeof *r), *p = malloc(N * sizeof *p);
    double *s = malloc(N * sizeof *s), *q = malloc(N * sizeof *q);
    if (!A || !r || !p || !s || !q)
        return 2;
    init(A, r, p);
    kernel_bicg(A, r, p, s, q);
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        sum += s[i] + 2.0 * q[i];
    printf("bicg N=%d checksum %.10e\n", N, sum);
    free(A);
    free(r);
    free(p);
    free(s);
    free(q);
    return 0;
}
