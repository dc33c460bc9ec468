"""A pointer the loop body sets and only reads through (a sparse row: `const double *vals = A->vals[i]`) is held
against the loop's writes by the aliasing test: the row loop of a sparse product gets an unproven candidate, which
builds and prints what the serial program prints. A pointer the body sets and writes through still stops it."""

from __future__ import annotations

from conftest import outputs_before_and_after

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.patch import apply_to_text

SPARSE = """#include <stdio.h>
#include <stdlib.h>

struct matrix { int nrow; int *nnz; double **vals; int **cols; };

static void product(const struct matrix *A, const double *x, double *y)
{
    for (int i = 0; i < A->nrow; i++) {
        double sum = 0.0;
        const double *vals = A->vals[i];
        const int *cols = A->cols[i];
        for (int j = 0; j < A->nnz[i]; j++)
            sum += vals[j] * x[cols[j]];
        y[i] = sum;
    }
}

static void scale_rows(struct matrix *A, const double *d)
{
    for (int i = 0; i < A->nrow; i++) {
        double *vals = A->vals[i];
        for (int j = 0; j < A->nnz[i]; j++)
            vals[j] *= d[i];
    }
}

int main(void)
{
    const int n = 3000, w = 7;
    struct matrix A = {n, malloc(n * sizeof(int)), malloc(n * sizeof(double *)), malloc(n * sizeof(int *))};
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *d = malloc(n * sizeof *d);
    for (int i = 0; i < n; i++) {
        A.nnz[i] = w;
        A.vals[i] = malloc(w * sizeof(double));
        A.cols[i] = malloc(w * sizeof(int));
        for (int j = 0; j < w; j++) {
            A.vals[i][j] = 1.0 / (1 + i + j);
            A.cols[i][j] = (i + j * 31) % n;
        }
        x[i] = i % 13;
        d[i] = 1.0 + (i % 3);
    }
    scale_rows(&A, d);
    for (int r = 0; r < 20; r++)
        product(&A, x, y);
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += y[i] * (i % 5);
    printf("%.12e\\n", s);
    return 0;
}
"""


def test_a_sparse_rows_loop_reading_through_pointers_it_sets_gets_an_unproven_candidate(tmp_path):
    reps = {(r.function, r.depth): r for r in analyze_source(parse(SPARSE, "c"), "s.c")}
    rows = reps[("product", 1)]
    assert rows.verdict == "unknown" and "may alias (pointers without restrict)" in rows.reason, rows.reason
    cand = rows.candidates[0]
    assert cand.pragma == "#pragma omp parallel for" and cand.proof != "static"
    # written through: each iteration's pointer may reach another's rows, nothing can be tested
    scale = reps[("scale_rows", 1)]
    assert scale.reason == "pointer vals is set inside the loop" and not scale.candidates
    plain, changed = outputs_before_and_after(tmp_path, "gcc", ".c", SPARSE, apply_to_text(SPARSE, cand.edits))
    assert plain == changed and plain.strip()
