"""Patterns of real HPC code: linearized subscripts, row pointers, aliasing proved through callers, histograms."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hpcagent.agent.planners.analysis import AnalysisPlanner
from hpcagent.agent.protocols import PlanContext
from hpcagent.records import Attempt, Feedback, LoopTarget, Verdict
from hpcagent.tools.loops.analysis import analyze_path, analyze_source, rank_targets
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.patch import apply_to_text


def verdicts(code: str) -> dict[int, tuple[str, str, list[str]]]:
    return {r.line: (r.verdict, r.reason, r.clauses) for r in analyze_source(parse(code), "x.c")}


def test_linearized_subscript_through_a_scalar_and_a_fixed_width():
    code = """void step(const double *restrict u, double *restrict v, int n) {
  int w = n + 2;
  for (int i = 1; i <= n; i++)
    for (int j = 1; j <= n; j++) {
      long c = (long)i * w + j;
      v[c] = u[c - w] + u[c + w] + u[c - 1] + u[c + 1];
    }
}
void inline_stride(double *v, int n) {
  for (int i = 1; i <= n; i++)
    for (int j = 1; j <= n; j++) { int c = i * (n + 2) + j; v[c] = 2 * v[c]; }
}
void too_narrow(double *restrict v, int n) {
  int w = n - 1;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) { int c = i * w + j; v[c] = i; }
}
void width_changes(double *restrict v, int n) {
  int w = n + 2;
  w = w * 2 - n;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) { int c = i * w + j; v[c] = i; }
}
"""
    v = verdicts(code)
    assert v[3][0] == "parallel"  # rows are w = n + 2 apart and j stays inside one
    assert v[10][0] == "parallel"  # the stride n + 2 is read off i*n + 2*i + j
    assert v[15][0] != "parallel"  # rows n - 1 apart overlap: the last element of a row is the next row's first
    assert v[21][0] != "parallel"  # w is reassigned: its value is not known


def test_row_pointers_are_followed_into_their_array():
    code = """double m[100000], x[300], y[300];
void mv(int n) {
  for (int i = 0; i < n; i++) {
    const double *row = &m[i * n];
    double s = 0;
    for (int j = 0; j < n; j++) s += row[j] * x[j];
    y[i] = s;
  }
}
void shift(int n) {
  for (int i = 0; i < n - 1; i++) {
    double *row = m + i * n;
    for (int j = 0; j < n; j++) row[j] = row[j + n];
  }
}
"""
    v = verdicts(code)
    assert v[3][0] == "parallel"
    assert v[6][0] == "reduction" and v[6][2] == ["reduction(+:s)"]
    assert v[11][0] == "serial"  # row i reads row i + 1, which the next iteration writes
    assert v[13][0] == "parallel"


def test_scalars_passed_by_value_do_not_block_a_pure_call_but_arrays_do():
    code = """static double f(const double *t, int j) { return t[j] * 2; }
void g(double *restrict a, const double *restrict t, int n) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) a[i * n + j] = f(t, j);
  for (int i = 1; i < n; i++) a[i] = f(a + i - 1, 0);
}
"""
    v = verdicts(code)
    assert v[3][0] == "parallel"
    assert v[5][0] == "unknown" and "reads a" in v[5][1]  # f reads a[i - 1], which the loop writes


CHAIN_LIB = """void axpy(double alpha, const double *x, double *y, int n) {
  for (int i = 0; i < n; i++) y[i] += alpha * x[i];
}
void solve(double *x, double *r, double *p, int n) {
  axpy(1.0, p, x, n);
  axpy(-1.0, x, r, n);
}
"""
CHAIN_MAIN = """#include <stdlib.h>
void solve(double *x, double *r, double *p, int n);
int main(void) {
  double *x = malloc(80), *r = malloc(80), *p = malloc(80);
  solve(x, r, p, 10);
  return 0;
}
"""


def test_distinct_parameters_are_proved_through_calls_across_files(tmp_path):
    (tmp_path / "lib.c").write_text(CHAIN_LIB)
    (tmp_path / "main.c").write_text(CHAIN_MAIN)
    loops = {(lp["file"], lp["line"]): lp for lp in analyze_path(tmp_path)["loops"]}
    assert loops[("lib.c", 2)]["verdict"] == "parallel"
    # without main.c, lib.c's functions may be called from anywhere
    (tmp_path / "main.c").unlink()
    assert analyze_path(tmp_path)["loops"][0]["verdict"] == "unknown"


def test_the_same_buffer_twice_or_a_function_pointer_keeps_the_loop_unknown(tmp_path):
    (tmp_path / "lib.c").write_text(CHAIN_LIB)
    (tmp_path / "main.c").write_text(CHAIN_MAIN.replace("solve(x, r, p, 10);", "solve(x, r, p, 10); solve(x, x, p, 10);"))
    assert analyze_path(tmp_path)["loops"][0]["verdict"] == "unknown"
    (tmp_path / "main.c").write_text(CHAIN_MAIN.replace("return 0;", "void (*f)(double, const double *, double *, "
                                                        "int) = axpy; f(1, x, x + 1, 9); return 0;"))
    assert analyze_path(tmp_path)["loops"][0]["verdict"] == "unknown"


HIST = """#include <stdio.h>
#include <stdlib.h>
static void count(const int *key, long *hist, int n, int nb) {
  for (int i = 0; i < n; i++)
    hist[key[i] % nb]++;
}
static void weigh(const int *key, double *h, int n) {
  for (int i = 0; i < n; i++) {
    int k = key[i] % 8;
    h[k] += 0.5 * key[i];
  }
}
int main(int argc, char **argv) {
  int n = 20000, nb = argc > 5 ? 3 : 16;
  int *key = malloc(n * sizeof *key);
  long *hist = calloc(nb, sizeof *hist);
  double *h = malloc(8 * sizeof *h);
  for (int i = 0; i < n; i++) key[i] = (i * 7919) % 1000;
  for (int i = 0; i < 8; i++) h[i] = 0;
  count(key, hist, n, nb);
  weigh(key, h, n);
  printf("%ld %ld %.1f\\n", hist[3], hist[15], h[2]);
  return 0;
}
"""


def test_histograms_get_an_array_reduction_or_atomic_updates(tmp_path):
    reports = {r.line: r for r in analyze_source(parse(HIST), "h.c")}
    assert reports[8].verdict == "reduction" and reports[8].clauses == ["reduction(+:h[:8])"]
    assert reports[4].verdict == "unknown" and reports[4].pragma is None  # nb is only known at run time
    atomic = reports[4].candidates[0]
    assert atomic.kind == "rewrite" and "atomic" in atomic.reason
    edits = atomic.edits + reports[8].candidates[0].edits
    (tmp_path / "h.c").write_text(apply_to_text(HIST, edits))
    (tmp_path / "plain.c").write_text(HIST)
    assert "#pragma omp atomic\n    hist[key[i] % nb]++;" in (tmp_path / "h.c").read_text()
    assert shutil.which("gcc"), "gcc is not installed"
    outputs = []
    for name in ("plain.c", "h.c"):
        exe = tmp_path / (name + ".bin")
        subprocess.run(["gcc", "-fopenmp", "-O1", str(tmp_path / name), "-o", str(exe)], check=True, timeout=120)
        outputs.append(subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=60,
                                      env={"OMP_NUM_THREADS": "2"}).stdout)
    assert outputs[0] == outputs[1] and outputs[0].strip()


def test_planner_offers_the_atomic_candidate_and_goes_inner_after_an_array_race(tmp_path):
    (tmp_path / "h.c").write_text(HIST)
    planner, ctx = AnalysisPlanner(), PlanContext(tmp_path)
    prop = planner.propose(LoopTarget("h.c", 4, 5, "count"), ctx, [])
    assert prop is not None and prop.kind == "rewrite"
    nest = """double a[300][3000];
void f(void) {
  for (int i = 1; i < 300; i++)
    for (int j = 0; j < 3000; j++)
      a[i][j] = 2 * a[i][j];
}
"""
    (tmp_path / "n.c").write_text(nest)
    target = LoopTarget("n.c", 3, 5, "f")
    first = planner.propose(target, ctx, [])
    assert first.line == 3
    raced = Attempt(1, first, {}, Verdict("repair", Feedback("race", data={"arrays": ["a"], "try_inner": True})))
    inner = planner.propose(target, ctx, [raced])
    assert inner is not None and inner.line == 4  # the remaining outer-level candidates are skipped
    again = Attempt(2, inner, {}, Verdict("repair", Feedback("race", data={"arrays": ["a"], "try_inner": True})))
    assert planner.propose(target, ctx, [raced, again]) is None


def test_rank_targets_uses_the_whole_program(tmp_path):
    (tmp_path / "lib.c").write_text(CHAIN_LIB)
    (tmp_path / "main.c").write_text(CHAIN_MAIN)
    target = next(t for t in rank_targets(tmp_path) if t.function == "axpy")
    assert target.verdict == "parallel"


def test_a_nest_with_nothing_to_propose_lists_every_loop_with_its_reason(tmp_path):
    (tmp_path / "scan.c").write_text(
        "#include <stdio.h>\n"
        "void scan(FILE *fp, float *z, int n) {\n"
        "    char buf[100];\n"
        "    float *rec;\n"
        "    while (fread(buf, 1, 100, fp) == 100) {\n"
        "        rec = z;\n"
        "        for (int i = 0; i < n; i++) {\n"
        "            *rec = buf[i] * 2.0f;\n"
        "            rec++;\n"
        "        }\n"
        "    }\n"
        "}\n")
    found = {t.loop_id: t for t in rank_targets(tmp_path)}
    assert set(found) == {"scan.c:5", "scan.c:7"}  # the inner loop is named too, not hidden behind the while
    assert found["scan.c:7"].proposals == 0 and "rec is modified" in found["scan.c:7"].reason


CLUSTERS = """#include <stdio.h>
#include <stdlib.h>
static int nearest(const float *p, const float *c, int nc, int nf) {
  int best = 0;
  float bd = 1e30f;
  for (int k = 0; k < nc; k++) {
    float d = 0;
    for (int j = 0; j < nf; j++) d += (p[j] - c[k * nf + j]) * (p[j] - c[k * nf + j]);
    if (d < bd) { bd = d; best = k; }
  }
  return best;
}
static float assign(float **pt, const float *c, int n, int nc, int nf, int *member, int slot) {
  int i, j, k;
  float moved = 0;
  int **count = malloc(2 * sizeof *count);
  float ***sum = malloc(2 * sizeof *sum);
  for (i = 0; i < 2; i++) {
    count[i] = calloc(nc, sizeof **count);
    sum[i] = malloc(nc * sizeof **sum);
    for (k = 0; k < nc; k++) sum[i][k] = calloc(nf, sizeof ***sum);
  }
  for (i = 0; i < n; i++) {
    k = nearest(pt[i], c, nc, nf);
    if (member[i] != k) moved += 1;
    member[i] = k;
    count[slot][k]++;
    for (j = 0; j < nf; j++)
      sum[slot][k][j] += pt[i][j];
  }
  for (k = 0; k < nc; k++) printf("%d %.1f\\n", count[slot][k], sum[slot][k][0]);
  return moved;
}
int main(void) {
  int n = 4000, nc = 5, nf = 3;
  float **pt = malloc(n * sizeof *pt), c[15];
  int *member = malloc(n * sizeof *member);
  for (int i = 0; i < n; i++) {
    pt[i] = malloc(nf * sizeof **pt);
    for (int j = 0; j < nf; j++) pt[i][j] = (float)((i * 31 + j * 7) % 100);
    member[i] = -1;
  }
  for (int k = 0; k < 15; k++) c[k] = (float)(k * 6);
  printf("%.0f\\n", assign(pt, c, n, nc, nf, member, 0));
  return 0;
}
"""


@pytest.mark.parametrize("member", ["int", "float"])
def test_updates_through_a_table_of_row_pointers_are_atomic_never_a_clause_on_the_table(tmp_path, member):
    """count[slot][k]++ and sum[slot][k][j] += with k from a call: a histogram reached through pointer tables. A
    reduction clause on `count` would privatize the pointers, not the counts; the updates are made atomic, also in
    the candidate, which is unproven: count's and sum's rows were stored in their tables by an earlier loop, and
    nothing proves `member` is not one of them (nor, when it is a float pointer, one of the points' rows)."""
    code = CLUSTERS.replace("int *member", f"{member} *member")
    if member == "float":  # a second caller hands over a row of the points as member
        code = code.replace("int main(void) {", "float again(float **pt, float *c) { return assign(pt, c, 1, 1, 1, "
                            "pt[0], 1); }\nint main(void) {")
    reports = {r.line: r for r in analyze_source(parse(code), "k.c")}
    loop = reports[23]
    assert loop.verdict == "unknown"
    if member == "int":
        assert loop.reason == "member and count may alias (pointers without restrict)", loop.reason
    else:
        assert "member and pt may alias" in loop.reason
    cand = next(c for c in loop.candidates if c.line == 23)
    assert cand.kind == "rewrite" and "histogram updates of count, sum" in cand.reason
    assert cand.proof == "unproven"
    assert not any("count" in c or "sum" in c for c in cand.clauses) and "reduction(+:moved)" in cand.clauses
    text = apply_to_text(code, cand.edits)
    assert "#pragma omp atomic\n    count[slot][k]++;" in text
    assert "#pragma omp atomic\n      sum[slot][k][j] += pt[i][j];" in text
    (tmp_path / "k.c").write_text(text)
    (tmp_path / "plain.c").write_text(code)
    outputs = []
    for name in ("plain.c", "k.c"):
        exe = tmp_path / (name + ".bin")
        subprocess.run(["gcc", "-fopenmp", "-O1", str(tmp_path / name), "-o", str(exe)], check=True, timeout=120)
        outputs.append(subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=60,
                                      env={"OMP_NUM_THREADS": "2"}).stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 6


ALIGNED = """void blocks(int *a, const int *ref, int nb, int w) {
  for (int b = 0; b < nb; b++) {
    int loc[64] __attribute__ ((aligned (64)));
    int ref_l[64] __attribute__((aligned(64), unused));
    for (int i = 0; i < 64; i++) {
      loc[i] = a[b * 64 + i];
      ref_l[i] = ref[i];
    }
    for (int i = 0; i < 64; i++)
      a[b * 64 + i] = loc[i] * 2 + ref_l[i];
  }
}
"""


def test_a_gnu_attribute_on_a_local_array_is_not_a_call():
    """`__attribute__((aligned(64)))` after an array declarator: the compiler lays the array out, nothing is called.
    The loop gets the verdict it has without the attribute, and the text of the source is kept as written."""
    from hpcagent.tools.loops.cparse import without_attributes

    plain = ALIGNED.replace(" __attribute__ ((aligned (64)))", "").replace(" __attribute__((aligned(64), unused))", "")
    assert verdicts(ALIGNED)[2] == verdicts(plain)[2]
    assert verdicts(ALIGNED)[2][:2] == ("unknown", "a and ref may alias (pointers without restrict)")
    src = parse(ALIGNED)
    assert "__attribute__ ((aligned (64)))" in src.lines[2]  # what rewrites copy is the code as written
    blank = without_attributes(ALIGNED.encode())
    assert len(blank) == len(ALIGNED) and b"aligned" not in blank and blank.count(b"\n") == ALIGNED.count("\n")
    # an unbalanced attribute (a truncated file) is left as it is
    assert without_attributes(b"int x __attribute__((aligned(8)") == b"int x __attribute__((aligned(8)"

