"""The static veto: a change on a loop with a proven dependence, or without the clauses that resolve one, is refused;
nothing the analysis itself proposes, on any corpus here, is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA, REPO

from hpcagent.records import Edit, Proposal
from hpcagent.tools.loops.analysis import analyze_file, load_program
from hpcagent.tools.loops.veto import directive, unresolved, veto

# A stencil, then the recurrence a small model once got accepted, then a sum.
STENCIL = """void smooth(double *restrict out, const double *restrict in, double *vec, int n, double *total) {
    for (int i = 1; i < n - 1; i++)
        out[i] = (in[i - 1] + in[i] + in[i + 1]) / 3.0;
    for (int k = 1; k < n; k++)
        vec[k] = 0.5 * vec[k] + 0.5 * vec[k - 1];
    double s = 0.0, t;
    for (int i = 0; i < n; i++) {
        t = out[i] * 2.0;
        s += t;
    }
    *total = s;
}
"""
MAP, RECURRENCE, SUM = 2, 4, 7


def reports(tmp_path: Path, text: str = STENCIL):
    (tmp_path / "s.c").write_text(text)
    return analyze_file(tmp_path / "s.c", tmp_path, load_program(tmp_path))


def pragma(line: int, text: str) -> Proposal:
    return Proposal("s.c", line, line + 1, pragma=text, edits=[Edit("s.c", line, line - 1, f"    {text}\n")],
                    source="llm")


def test_a_proven_recurrence_is_vetoed_with_both_accesses_and_the_distance(tmp_path: Path):
    found = veto(pragma(RECURRENCE, "#pragma omp parallel for"), reports(tmp_path))
    assert found is not None and found.loop == f"s.c:{RECURRENCE}" and not found.missing
    assert "vec[k] (line 5) vs vec[k - 1] (line 5)" in found.text() and "distance 1" in found.text()
    # no clause makes it safe, nor does another directive that shares the loop out
    for text in ("#pragma omp parallel for private(k) schedule(static, 1)", "#pragma omp for",
                 "#pragma omp parallel for simd", "#pragma omp taskloop"):
        assert veto(pragma(RECURRENCE, text), reports(tmp_path)) is not None, text


def test_missing_clauses_are_named_and_the_right_ones_pass(tmp_path: Path):
    reps = reports(tmp_path)
    found = veto(pragma(SUM, "#pragma omp parallel for"), reps)
    assert found is not None and found.missing == ["reduction(+:s)", "private(t)"]
    assert "s is reduction(+)" in found.text() and "t is private" in found.text()
    assert veto(pragma(SUM, "#pragma omp parallel for reduction(*:s) private(t)"), reps).missing == ["reduction(+:s)"]
    for ok in ("#pragma omp parallel for reduction(+:s) private(t)", "#pragma omp parallel for reduction(+: s) "
               "firstprivate(t) schedule(dynamic)", "#pragma omp parallel for reduction(-:s) lastprivate(t)"):
        assert veto(pragma(SUM, ok), reps) is None, ok
    assert veto(pragma(MAP, "#pragma omp parallel for"), reps) is None


def test_a_region_alone_shares_nothing_out(tmp_path: Path):
    # `omp parallel` starts a team; every thread runs the loop: not this check's business (the race check's)
    assert veto(pragma(RECURRENCE, "#pragma omp parallel"), reports(tmp_path)) is None
    assert directive("  #pragma omp parallel for reduction(+:s) private(a, b)") == (
        {"parallel", "for"}, {"reduction": ["+:s"], "private": ["a, b"]})
    assert directive("x = 1;") is None


def test_collapse_takes_in_the_inner_loop(tmp_path: Path):
    nest = """void f(double a[100][100]) {
    for (int i = 0; i < 100; i++)
        for (int j = 1; j < 100; j++)
            a[i][j] = a[i][j - 1] + 1.0;
}
"""
    reps = reports(tmp_path, nest)
    assert veto(pragma(2, "#pragma omp parallel for"), reps) is None         # rows are independent
    found = veto(pragma(2, "#pragma omp parallel for collapse(2)"), reps)    # the j loop carries a[i][j - 1]
    assert found is not None and found.loop == "s.c:3"


def corpus_files() -> list[Path]:
    roots = [DATA / "loops", REPO / "examples", REPO / "bench" / "kernels", DATA / "projects", DATA / "groups"]
    return sorted(p for root in roots for p in root.rglob("*") if p.suffix in (".c", ".cpp"))


def declares_in_the_body(c: Proposal) -> bool:
    """A privatized scratch array: the change declares it inside the loop, besides the pragma."""
    return any(directive(e.new_text.splitlines()[0]) is None for e in c.edits)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_the_rules_refuse_no_analysis_candidate_but_a_privatized_scratch_array(path: Path):
    root = path.parent
    reps = analyze_file(path, root, load_program(root))
    # (a loop-order or tiling rewrite puts another loop at the pragma's line: the rules, which read the pragma as
    # the written loop's, cannot judge it; its legality comes from the direction vectors, tests/tools/loops/test_locality.py)
    refused = [(c.label, why.text()) for r in reps for c in r.candidates if (why := unresolved(c, reps)) is not None
               and not (r.verdict == "serial" and declares_in_the_body(c)) and not c.locality]
    assert refused == []
    # and a candidate read back from a checkpoint is recognised as the analysis's own
    for c in (c for r in reps for c in r.candidates):
        assert veto(Proposal.from_dict(json.loads(json.dumps(c.to_dict()))), reps) is None
