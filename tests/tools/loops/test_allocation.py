"""Allocation as real codes write it: a wrapper around malloc (with its out-of-memory report) hands out fresh memory
like malloc itself, freeing is thread-safe in a callee too, and what a struct's pointer member reaches is not the
struct's own storage (a fresh struct's member may point anywhere)."""

from __future__ import annotations

from conftest import outputs_before_and_after

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.patch import apply_to_text

CODE = """#include <stdio.h>
#include <stdlib.h>

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "out of memory\\n");
        exit(1);
    }
    return p;
}

static void release(double *p) { free(p); }

static long allocated;
static void *counted(size_t n) { allocated += n; return malloc(n); }

struct table { double lo[4], hi[4]; double *values; int n; };

static void smooth_rows(int n, int m, const double *a, double *out)
{
    for (int i = 0; i < n; i++) {
        double *t = (double *)xmalloc(m * sizeof(double));
        for (int j = 0; j < m; j++)
            t[j] = a[i * m + j] * 0.5;
        double s = 0.0;
        for (int j = 1; j < m; j++)
            s += t[j] - t[j - 1];
        out[i] = s;
        release(t);
    }
}

static void counted_rows(int n, const double *a, double *out)
{
    for (int i = 0; i < n; i++) {
        double *t = counted(2 * sizeof(double));
        t[0] = a[i];
        out[i] = t[0];
        free(t);
    }
}

static struct table *make_table(int n, const double *data)
{
    struct table *tab = xmalloc(sizeof *tab);
    tab->values = xmalloc(n * sizeof(double));
    tab->n = n;
    for (int k = 0; k < 4; k++)
        tab->hi[k] = tab->lo[k] + data[k];
    for (int i = 0; i < n; i++)
        tab->values[i] = data[i];
    return tab;
}

int main(void)
{
    const int n = 400, m = 300;
    double *a = xmalloc(n * m * sizeof(double)), *out = xmalloc(n * sizeof(double));
    for (int i = 0; i < n * m; i++)
        a[i] = (i % 17) * 0.25;
    smooth_rows(n, m, a, out);
    counted_rows(n, a, out);
    struct table *tab = make_table(n, out);
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += tab->values[i] * (i % 7);
    printf("%.12e %ld\\n", s, allocated);
    return 0;
}
"""


def reports():
    return {(r.function, r.line): r for r in analyze_source(parse(CODE, "c"), "t.c")}


def line_of(text: str) -> int:
    return next(i + 1 for i, ln in enumerate(CODE.splitlines()) if ln.strip().startswith(text))


def test_a_loop_allocating_its_scratch_through_a_wrapper_is_a_candidate_and_computes_the_same(tmp_path):
    reps = reports()
    rows = reps[("smooth_rows", line_of("for (int i = 0; i < n; i++) {"))]
    # xmalloc's report and exit are a failed allocation's, release() frees: neither stops the loop; t is fresh,
    # the iteration's own; and main hands in two arrays from xmalloc, so out and a are apart
    assert rows.verdict == "parallel", rows.reason
    cand = rows.candidates[0]
    assert cand.pragma == "#pragma omp parallel for" and cand.proof == "static"
    # a wrapper that also counts its bytes writes a global: every iteration would update it
    counted = next(r for (f, _), r in reps.items() if f == "counted_rows" and r.depth == 1)
    assert counted.reason == "call to counted: counted writes allocated"
    plain, changed = outputs_before_and_after(tmp_path, "gcc", ".c", CODE, apply_to_text(CODE, cand.edits))
    assert plain == changed and plain.strip()


def test_a_fresh_structs_arrays_are_its_own_but_what_its_pointer_member_reaches_is_not():
    reps = reports()
    # hi and lo are arrays inside the freshly allocated table: data (a parameter) cannot point into them
    bounds = reps[("make_table", line_of("for (int k = 0; k < 4; k++)"))]
    assert "no loop-carried dependence" in bounds.reason, bounds.reason
    # tab->values was set from xmalloc too, but a member can be set to point anywhere: not proven apart from data
    values = next(r for (f, line), r in reps.items() if f == "make_table" and line != bounds.line)
    assert values.verdict == "unknown" and values.reason == "tab->values and data may alias (pointers without restrict)"
    assert values.candidates and values.candidates[0].proof != "static"
