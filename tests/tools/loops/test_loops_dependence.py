"""Unit tests of the dependence tests (GCD, Banerjee, SIV) and of whole-loop verdicts on array subscripts."""

from hpcagent.tools.loops.affine import Affine
from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.loops.dependence import (
    INF,
    banerjee_excludes,
    gcd_excludes,
    strong_siv_distance,
    symbolic_excludes,
)
from hpcagent.tools.loops.dependence import test_dimensions as dimensions_test

V1, V2 = "i#1", "i#2"


def aff(**terms):
    const = terms.pop("c", 0)
    out = Affine.const(const)
    for name, coef in terms.items():
        out = out + Affine.var(name.replace("_", "#")).scale(coef)
    return out


def test_gcd_excludes_even_odd():
    # 2*i1 - 2*i2 - 1 = 0 has no integer solution
    assert gcd_excludes(aff(i_1=2, i_2=-2, c=-1))
    assert not gcd_excludes(aff(i_1=2, i_2=-2, c=-2))


def test_strong_siv_distance():
    assert strong_siv_distance(aff(i_1=1, i_2=-1, c=1), V1, V2) == 1
    assert strong_siv_distance(aff(i_1=2, i_2=-2, c=1), V1, V2) == "none"
    assert strong_siv_distance(aff(i_1=2, i_2=-1), V1, V2) is None


def test_banerjee_uses_bounds():
    # a[i] vs a[i + 2000] with i in [0, 1999]: never equal across iterations
    ranges = {V1: (0, 1999), V2: (0, 1999)}
    h = aff(i_1=1, i_2=-1, c=-2000)
    assert banerjee_excludes(h, V1, V2, "<", ranges) and banerjee_excludes(h, V1, V2, ">", ranges)
    unbounded = {V1: (0, INF), V2: (0, INF)}
    assert not banerjee_excludes(h, V1, V2, ">", unbounded)


def test_symbolic_bounds_exclude():
    # L[i][k] vs L[k][k] with i in [k+1, n-1]: i - k >= 1
    bounds = {V1: (Affine.var("k") + Affine.const(1), Affine.var("n") - Affine.const(1))}
    assert symbolic_excludes(Affine.var(V1) - Affine.var("k"), bounds)
    assert symbolic_excludes(Affine.var(V1) - Affine.var("n"), bounds)  # i <= n - 1 < n
    assert not symbolic_excludes(Affine.var(V1) - Affine.var("k") - Affine.const(2), bounds)


def test_dimensions_verdicts():
    ranges = {V1: (0, INF), V2: (0, INF)}
    assert dimensions_test([aff(i_1=1, i_2=-1, c=1)], V1, V2, ranges).status == "dependent"
    assert dimensions_test([aff(i_1=1, i_2=-1)], V1, V2, ranges).status == "independent"
    assert dimensions_test([None], V1, V2, ranges).status == "possible"
    # one subscript proves independence even when the other cannot
    assert dimensions_test([None, aff(c=3)], V1, V2, ranges).status == "independent"
    # ZIV equal in every iteration: the same element is touched by all iterations
    assert dimensions_test([aff()], V1, V2, ranges).status == "dependent"


def verdicts(code: str, lang: str = "c") -> dict[int, tuple[str, list[str]]]:
    out: dict[int, tuple[str, list[str]]] = {}
    for r in analyze_source(parse(code, lang), "t.c"):
        out.setdefault(r.line, (r.verdict, r.clauses))  # the outermost loop of a line
    return out


def test_loops_on_subscripts():
    code = """double a[1000], b[1000][1000];
void f(int n) {
  for (int i = 1; i < n; i++) a[i] = a[i - 1];
  for (int i = 0; i < n; i++) a[2 * i] = a[2 * i + 1];
  for (int i = 0; i < 500; i++) a[i] = a[i + 500];
  for (int i = 1; i < n; i++)
    for (int j = 0; j < n; j++) b[i][j] = b[i - 1][j];
  for (int i = 0; i < n; i++) a[i % 7] = i;
}
"""
    v = verdicts(code)
    assert v[3][0] == "serial"
    assert v[4][0] == "parallel"
    assert v[5][0] == "parallel"
    assert v[6][0] == "serial"
    assert v[7][0] == "parallel"
    assert v[8][0] == "unknown"


def test_linearized_subscripts_are_delinearized():
    code = """double u[100000];
void f(int n, int m) {
  for (int i = 1; i < n; i++)
    for (int j = 0; j < m; j++) u[i * m + j] = u[(i - 1) * m + j];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m + 1; j++) u[i * m + j] = 0;
}
"""
    v = verdicts(code)
    assert v[3][0] == "serial" and v[4][0] == "parallel"
    # j may reach m: rows overlap, so the split is not valid and the outer loop is not proved parallel
    assert v[5][0] != "parallel"
