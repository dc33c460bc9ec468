"""Helpers that write through a pointer parameter into an object the caller owns: a random generator advancing the
seed it is handed (`next(&seed)`), a per-item function filling the output array it is handed, a complex-number
helper building its result in a local struct. An outer loop whose body declares that seed or array hands each call
its own iteration's object: parallel. The same calls on an object outside the loop, or through a pointer the loop
computes, stay a problem. The changed program builds with gcc -fopenmp and prints what the serial one prints."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.calls import file_effects
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.patch import apply_to_text

HELPERS = """#include <stdint.h>
#include <stdio.h>
typedef struct { double re, im; } cplx;
static cplx c_sub(cplx a, cplx b) { cplx c; c.re = a.re - b.re; c.im = a.im - b.im; return c; }
static double uniform(uint64_t *s) { *s = *s * 6364136223846793005ULL + 1; return (double)(*s >> 11) / 9007199254740992.0; }
static int pick(uint64_t *s, int n) { return (int)(uniform(s) * n) % n; }
static void fill(double *out, double e) { for (int k = 0; k < 4; k++) out[k] = e * k; }
static void rows(double **m, double e) { m[0][1] = e; }
static void step(uint64_t *s) { s++; *s = 1; }
typedef struct { double x, y; double *rows; } point;
static void place(point *p, double e) { p->x = e; p->y = 2 * e; }
static void spill(point *p, double e) { p->rows[0] = e; }
"""


def loops(body: str) -> dict[int, object]:
    text = HELPERS + body
    return {r.line: r for r in analyze_source(parse(text, "c"), "f.c")}, text


def line_of(text: str, needle: str) -> int:
    return next(i + 1 for i, ln in enumerate(text.splitlines()) if needle in ln)


def test_summaries_name_what_is_written_and_through_which_parameter():
    eff = file_effects(parse(HELPERS, "c"))
    assert eff["c_sub"].pure, eff["c_sub"].reason  # the members of its own local struct: nobody sees them
    assert eff["uniform"].only_refs and eff["uniform"].pointer_writes == {0}, eff["uniform"]
    assert eff["pick"].only_refs and eff["pick"].pointer_writes == {0}, eff["pick"]  # handed on to uniform
    assert eff["fill"].only_refs and eff["fill"].pointer_writes == {0}
    # a row through a table of pointers, and a pointer moved before the write: memory the object only points to
    assert not eff["rows"].pure and not eff["rows"].only_refs, eff["rows"]
    assert not eff["step"].pure and not eff["step"].only_refs, eff["step"]
    assert eff["place"].only_refs and eff["place"].pointer_writes == {0}, eff["place"]  # members of *p
    assert not eff["spill"].pure and not eff["spill"].only_refs, eff["spill"]  # a row *p only points to


def test_outer_loop_handing_each_call_its_own_seed_and_array_is_parallel():
    reports, text = loops("""
double histories(int n, double *res) {
  double total = 0.0;
  for (int h = 0; h < n; h++) {
    uint64_t seed = 7 + h;
    double xs[4];
    cplx z = {uniform(&seed), 1.0};
    fill(xs, c_sub(z, z).re + pick(&seed, 12));
    point pt;
    place(&pt, xs[2]);
    res[h] = xs[3] + pt.y;
    total += xs[1];
  }
  return total;
}
""")
    rep = reports[line_of(text, "for (int h = 0")]
    assert rep.verdict == "reduction", rep.reason
    assert rep.candidates[0].pragma == "#pragma omp parallel for reduction(+:total)"
    assert rep.candidates[0].proof == "static"


def test_a_call_handed_a_row_writes_that_row():
    """zero3(f[i]) with `typedef double vec3[3]`: the helper writes only in the row it is handed, so the call is a
    write of f[i], held against the loop's other accesses like the loop's own write of f[i] would be."""
    reports, text = loops("""
typedef double vec3[3];
static void zero3(vec3 a) { a[0] = 0.0; a[1] = 0.0; a[2] = 0.0; }
void own(int n, vec3 *restrict f, double *restrict u) {
  for (int i = 0; i < n; i++) { zero3(f[i]); u[i] = 0.0; }
}
void next(int n, vec3 *restrict f) {
  for (int i = 1; i < n; i++) { zero3(f[i]); f[i][0] = f[i - 1][1]; }
}
void shared(int n, vec3 *restrict f) {
  for (int i = 0; i < n; i++) zero3(f[0]);
}
""")
    own = reports[line_of(text, "zero3(f[i]); u[i]")]
    assert own.verdict == "parallel" and own.candidates[0].proof == "static", own.reason
    # the next iteration reads what this one's call wrote (f[i - 1][1]): never proven
    assert reports[line_of(text, "f[i][0] = f[i - 1][1]")].verdict != "parallel"
    # every iteration zeroes the same row
    shared = reports[line_of(text, "zero3(f[0])")]
    assert shared.verdict in ("serial", "unknown") and not any(c.proof == "static" for c in shared.candidates)


@pytest.mark.parametrize("body, why", [
    # one seed for all iterations: the draws depend on the order of the iterations
    ("""void f(int n, double *res) {
  uint64_t seed = 7;
  for (int h = 0; h < n; h++)
    res[h] = uniform(&seed);
}""", "call to uniform: uniform writes s (pointer parameters)"),
    # a pointer the loop computes into shared memory: not the iteration's own object
    ("""void f(int n, double *res) {
  for (int h = 0; h < n; h++) {
    double *out = res + h / 2;
    fill(out, 1.0);
  }
}""", "call to fill: fill writes out (pointer parameters)"),
    # the table's rows are shared even when the table is the iteration's own
    ("""void f(int n, double *a, double *b) {
  for (int h = 0; h < n; h++) {
    double *m[2] = {a, b};
    rows(m, h);
  }
}""", "call to rows: rows writes m"),
])
def test_calls_on_objects_the_iteration_does_not_own_stay_a_problem(body, why):
    reports, text = loops(body)
    rep = reports[line_of(text, "for (int h = 0")]
    assert rep.verdict == "unknown" and rep.reason == why, rep.reason


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_the_parallel_outer_loop_prints_what_the_serial_one_prints(tmp_path):
    body = """
int main(void) {
  unsigned long tally = 0;
  double e = 0.0;
  for (int h = 0; h < 200000; h++) {
    uint64_t seed = 1000003ULL * h + 7;
    double xs[4];
    fill(xs, uniform(&seed));
    tally += pick(&seed, 12) + (xs[3] > 1.5);
  }
  printf("%lu %.1f\\n", tally, e);
  return 0;
}
"""
    reports, text = loops(body)
    rep = reports[line_of(text, "for (int h = 0")]
    assert rep.candidates and rep.candidates[0].proof == "static", rep.reason
    changed = apply_to_text(text, rep.candidates[0].edits)
    outs = []
    for name, src, flags in (("serial", text, []), ("omp", changed, ["-fopenmp"])):
        (tmp_path / f"{name}.c").write_text(src)
        subprocess.run(["gcc", "-O2", *flags, "-o", str(tmp_path / name), str(tmp_path / f"{name}.c")], check=True)
        outs.append(subprocess.run([str(tmp_path / name)], capture_output=True, text=True, check=True,
                                   env={"OMP_NUM_THREADS": "3"}).stdout)
    assert "#pragma omp parallel for reduction(+:tally)" in changed
    assert outs[0] == outs[1] and outs[0].split()[0] != "0", outs
