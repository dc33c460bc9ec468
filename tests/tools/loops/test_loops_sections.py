"""Array-section reductions (s[j] += in a j loop), the Fourier-Motzkin dependence test on triangular nests, and
buffers handed back through out-parameters (build(&col, &val))."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hpcagent.tools.loops.affine import Affine
from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.array_reduction import c_text
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.loops.feasibility import feasible


def verdicts(code: str) -> dict[int, tuple[str, list[str]]]:
    out: dict[int, tuple[str, list[str]]] = {}
    for r in analyze_source(parse(code), "x.c"):
        out.setdefault(r.line, (r.verdict, r.clauses))
    return out


def var(name: str, coef: int = 1) -> Affine:
    return Affine.var(name).scale(coef)


# --- array sections --------------------------------------------------------------------------------------------

SECTIONS = """#define N 100
static void f(int n, int lo, int hi, const double *A, const double *r, double *s, double *q, double col[N]) {
  for (int i = 0; i < n; i++) {
    double t = 0.0;
    for (int j = 0; j < n; j++) {
      s[j] += r[i] * A[i * n + j];
      t += A[i * n + j];
    }
    q[i] = t;
  }
  for (int i = 0; i < n; i++)
    for (int k = lo; k < hi; k++)
      s[k - 1] -= A[i * n + k];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < N; j++)
      col[j]++;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      if (A[i * n + j] > 0)
        s[j] += 1.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      s[j] += s[j] * r[i];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n - i; j++)
      s[j + i] += r[j];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++)
      s[j] += r[i];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      if (r[j] < 0) break;
      s[j] += r[i];
    }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      s[0] += r[i];
}
int main(void) {
  static double A[N * N], r[N], s[N], q[N], col[N];
  f(N, 1, N, A, r, s, q, col);
  return 0;
}
"""


def test_affine_updates_swept_by_inner_loops_are_section_reductions():
    v = verdicts(SECTIONS)
    assert v[3] == ("reduction", ["reduction(+:s[:n])"])
    assert v[11] == ("reduction", ["reduction(+:s[lo - 1:hi - lo])"])  # k - 1 runs lo - 1 .. hi - 2
    assert v[14] == ("reduction", ["reduction(+:col[:N])"])  # the macro name is kept


@pytest.mark.parametrize("line, why", [
    (17, "the update runs under a condition: the section may not be touched"),
    (21, "the update reads the array"),
    (24, "the element depends on the parallel loop's index"),
    (27, "the inner bound changes with the parallel loop's index"),
    (30, "the inner loop may stop early"),
    (35, "one element per iteration: a scalar temporary is the better tool"),
])
def test_what_is_not_a_section_reduction(line, why):
    verdict, clauses = verdicts(SECTIONS)[line]
    assert not any("[" in c for c in clauses), why
    assert verdict not in ("parallel", "reduction"), why


def test_a_declared_array_is_reduced_whole():
    # clang 16 miscompiles a section of a file-scope array (the threads update the shared one): the whole array
    code = """#define N 64
static double z[N], A[N][N];
void f(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      z[j] += A[i][j];
}
"""
    assert verdicts(code)[4] == ("reduction", ["reduction(+:z)"])


def test_c_text_of_section_bounds():
    assert c_text(var("hi") - var("lo")) == "hi - lo"
    assert c_text(var("n", 2) + Affine.const(1)) == "2*n + 1"
    assert c_text(var("k", -1)) == "-k"
    assert c_text(Affine.const(-3) + var("m")) == "m - 3"
    assert c_text(Affine()) == "0"


@pytest.mark.parametrize("compiler", ["gcc", "clang-16"])
def test_section_pragmas_compile_and_sum_like_the_serial_loop(tmp_path, compiler):
    if not shutil.which(compiler):
        pytest.skip(f"{compiler} is not installed")
    from hpcagent.tools.patch import apply_to_text

    code = SECTIONS.replace("return 0;", 'for (int k = 0; k < N; k++) A[k * N] = k % 3; '
                                       'f(N, 1, N, A, r, s, q, col); return (int)(s[5] + col[7]) % 7;')
    edits = []
    for rep in analyze_source(parse(code), "x.c"):
        if rep.line in (3, 11, 14) and rep.candidates:
            edits += rep.candidates[0].edits
    assert len(edits) >= 3
    src = tmp_path / "x.c"
    src.write_text(apply_to_text(code, edits))
    assert "reduction(+:s[:n])" in src.read_text()
    proc = subprocess.run([compiler, "-fopenmp", "-Werror=unknown-pragmas", str(src), "-o", str(tmp_path / "x")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr


# --- Fourier-Motzkin -------------------------------------------------------------------------------------------

def test_feasible_over_the_rationals():
    a1, a2, b1, b2 = var("a#1"), var("a#2"), var("b#1"), var("b#2")
    bounds = [b1 - a1, b2 - a2]  # b >= a in both iterations
    mirrored = [a1 - b2, b1 - a2]  # cov[a1][b1] and cov[b2][a2] are one element
    assert not feasible([*bounds, a2 - a1 - Affine.const(1)], mirrored)
    assert not feasible([*bounds, a1 - a2 - Affine.const(1)], mirrored)
    # without the triangle the two iterations can meet (a1 = 0, b1 = 1 = a2, b2 = 0)
    assert feasible([a2 - a1 - Affine.const(1)], mirrored)
    assert feasible([var("x") - Affine.const(2), Affine.const(5) - var("x")])
    assert not feasible([var("x") - Affine.const(6), Affine.const(5) - var("x")])
    # a product cannot be used: left out, so the system stays feasible
    assert feasible([Affine({("n", "x"): 1}) - Affine.const(1), Affine.const(-1) - Affine({("n", "x"): 1})])


def test_feasible_gives_up_on_a_huge_system():
    names = [f"x{k}" for k in range(30)]
    rows = [var(a) - var(b) for a in names for b in names if a != b]
    assert feasible([*rows, Affine.const(-1)]) is False  # a constant contradiction is seen before eliminating
    assert feasible([*rows, var("x0") - var("x1") - Affine.const(1)])  # too many variables: kept feasible


TRIANGLES = """#define M 50
static double cov[M][M], d[M][M];
void f(int m) {
  for (int a = 0; a < m; a++)
    for (int b = a; b < m; b++) {
      cov[a][b] /= 2.0;
      cov[b][a] = cov[a][b];
    }
  for (int a = 0; a < m; a++)
    for (int b = 0; b < m; b++)
      d[a][b] = d[b][a];
  for (int a = 0; a < m - 1; a++)
    for (int b = a; b < m; b++)
      d[a][b] = d[b][a + 1];
  for (int a = 0; a < m; a++)
    for (int b = 0; b <= a; b++)
      d[a][b] = d[b][a];
}
"""


def test_triangular_bounds_keep_mirrored_accesses_apart():
    v = verdicts(TRIANGLES)
    assert v[4][0] == "parallel"
    assert v[5][0] == "parallel"
    assert v[15][0] == "parallel"
    assert v[9][0] not in ("parallel", "reduction")  # the whole square: row a reads what row b < a wrote
    assert v[12][0] not in ("parallel", "reduction")  # row a + 1 writes d[a + 1][a + 1], which row a reads


def test_a_bound_the_loop_changes_is_not_trusted():
    code = """static double c[64][64];
void f(int m) {
  int lo = 0;
  for (int a = 0; a < m; a++) {
    lo = lo + 1;
    for (int b = lo; b < m; b++)
      c[a][b] = c[b][a];
  }
}
"""
    assert verdicts(code)[4][0] not in ("parallel", "reduction")


# --- out-parameters --------------------------------------------------------------------------------------------

OUT = """#include <stdlib.h>
static void make(int n, double **ap, double **bp) {
  double *a = malloc(sizeof(double) * n);
  double *b = malloc(sizeof(double) * n);
  *ap = a;
  *bp = b;
}
static void scale(int n, double *dst, const double *src) {
  for (int i = 0; i < n - 1; i++)
    dst[i] = src[i + 1] * 2.0;
}
int main(void) {
  double *x, *y;
  make(100, &x, &y);
  scale(99, x, y);
  return 0;
}
"""


def test_out_parameter_allocations_are_distinct():
    assert verdicts(OUT)[9][0] == "parallel"


@pytest.mark.parametrize("change", [
    ("*bp = b;", "*bp = a;"),                                 # one allocation handed back twice
    ("double *b = malloc(sizeof(double) * n);", "double *b = *ap;"),  # not a fresh allocation
    ("make(100, &x, &y);", "make(100, &x, &y); y = x;"),      # the caller overwrites one of them
    ("make(100, &x, &y);", "make(100, &x, &y); double **pp = &y; *pp = x;"),  # through a pointer to it
    ("*ap = a;", "*ap = a; ap[0] = b;"),                      # a second store through the out-parameter
])
def test_out_parameters_that_may_alias_keep_the_loop_unproven(change):
    old, new = change
    assert old in OUT
    assert verdicts(OUT.replace(old, new))[9][0] not in ("parallel", "reduction")


def test_a_buffer_passed_through_is_not_an_allocation():
    # x is handed back the caller's own y: scale(x, y) really overlaps
    code = OUT.replace("double **ap, double **bp", "double *given, double **ap, double **bp").replace(
        "*ap = a;", "*ap = given;").replace("double *x, *y;\n  make(100, &x, &y);",
                                            "double *x, *w, *y = malloc(800);\n  make(100, y, &x, &w);")
    assert "*ap = given;" in code and "make(100, y, &x, &w);" in code
    assert verdicts(code)[9][0] not in ("parallel", "reduction")
