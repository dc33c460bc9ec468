"""Loops written for a thread team (tools/loops/thread_rows.py): rows indexed by omp_get_thread_num() get the team
they were written for, `omp parallel` around the thread number and the loop, `omp for` on the loop; the changed
programs build and print what the original prints at 1, 2 and 3 threads."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import DATA

from hpcagent.tools.loops.analysis import analyze_file, analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.patch import apply_to_text


def outputs(tmp_path: Path, texts: dict[str, str], args: list[str] = ()) -> dict[tuple[str, int], str]:
    """Each program text built with gcc -O2 -fopenmp and run at 1, 2 and 3 threads: (name, threads) -> stdout."""
    assert shutil.which("gcc"), "gcc is not installed"
    out = {}
    for name, text in texts.items():
        src = tmp_path / f"{name}.c"
        src.write_text(text)
        exe = tmp_path / name
        subprocess.run(["gcc", "-O2", "-fopenmp", "-Wall", "-Werror", str(src), "-o", str(exe), "-lm"], check=True,
                       timeout=120)
        for threads in (1, 2, 3):
            out[name, threads] = subprocess.run([str(exe), *args], check=True, capture_output=True, text=True,
                                                timeout=120, env={"OMP_NUM_THREADS": str(threads)}).stdout
    return out


def team_of(reports, line: int):
    (rep,) = [r for r in reports if r.line == line]
    return rep, [c for c in rep.candidates if c.line == line]


def test_a_pass_over_samples_with_per_thread_partial_sums_gets_its_team(tmp_path):
    src = DATA / "projects" / "team_rows" / "groups.c"
    rep, cands = team_of(analyze_file(src), 59)
    # only the team: a plain `parallel for` would have every thread add into row [0]
    assert len(cands) == 1 and cands[0].proof == "unproven" and cands[0].kind == "rewrite"
    assert [(e.start_line, e.new_text.strip()) for e in cands[0].edits] == [
        (57, "#pragma omp parallel"), (59, "#pragma omp for reduction(+:moved) private(j) private(who)")]
    assert "count[tid], partial[tid], one row per thread" in rep.reason
    # the rows are taken out of the loop's accesses; what else it cannot prove is said too
    assert "group and x may alias" in cands[0].reason
    code = src.read_text()
    runs = outputs(tmp_path, {"serial": code, "team": apply_to_text(code, cands[0].edits)}, ["3000", "4"])
    assert runs["serial", 1].count("\n") == 5
    assert {runs[key] for key in runs} == {runs["serial", 1]}


WRAPPED = """#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
static void bins(const double *v, int n, double **acc, int nb) {
  int me = omp_get_thread_num();
  int step = 3;
  for (int i = 0; i < n; i += step) {
    int b = (int)(v[i] * nb) % nb;
    acc[me][b] += v[i];
  }
  printf("bins done\\n");
}
int main(void) {
  int n = 90000, nb = 7, teams = omp_get_max_threads();
  double *v = malloc(n * sizeof *v);
  double **acc = malloc(teams * sizeof *acc);
  for (int t = 0; t < teams; t++) acc[t] = calloc(nb, sizeof **acc);
  for (int i = 0; i < n; i++) v[i] = (i * 37 % 1000) / 1000.0;
  bins(v, n, acc, nb);
  for (int b = 0; b < nb; b++) {
    double s = 0;
    for (int t = 0; t < teams; t++) s += acc[t][b];
    printf("%d %.6f\\n", b, s);
  }
  return 0;
}
"""


def test_a_thread_number_read_in_a_function_body_is_wrapped_with_the_loop_in_a_team_block(tmp_path):
    _, cands = team_of(analyze_source(parse(WRAPPED), "w.c"), 7)
    assert len(cands) == 1
    assert [(e.start_line, e.new_text) for e in cands[0].edits] == [
        (5, "  #pragma omp parallel\n  {\n"), (7, "  #pragma omp for\n"), (11, "  }\n")]
    assert "lines 5-10 (a new block)" in cands[0].reason
    # an assignment to a variable declared earlier: private to each thread of the team
    assigned = WRAPPED.replace("  int me = omp_get_thread_num();", "  int me;\n  me = omp_get_thread_num();")
    _, cands_assigned = team_of(analyze_source(parse(assigned), "w.c"), 8)
    assert cands_assigned[0].pragma == "#pragma omp parallel private(me)"
    runs = outputs(tmp_path, {"serial": WRAPPED, "team": apply_to_text(WRAPPED, cands[0].edits),
                              "assigned": apply_to_text(assigned, cands_assigned[0].edits)})
    assert runs["serial", 1].startswith("bins done\n") and runs["serial", 1].count("\n") == 8
    assert {runs[key] for key in runs} == {runs["serial", 1]}


@pytest.mark.parametrize("change, why", [
    ("  printf(\"bins done\\n\");", "  printf(\"bins done %d\\n\", step);"),  # a declaration the block would hide
    ("  int step = 3;", "  int step = 3;\n  v += 0;"),  # a statement between: not only declarations
    ("    acc[me][b] += v[i];", "    acc[me][b] += v[i];\n    me = b;"),  # the loop changes the number
])
def test_no_team_when_the_block_would_change_the_program(change, why):
    code = WRAPPED.replace(change, why)
    assert code != WRAPPED
    reports = analyze_source(parse(code), "w.c")
    rep = next(r for r in reports if r.function == "bins" and r.depth == 1)
    assert not any("omp for" in e.new_text for c in rep.candidates for e in c.edits)
    assert "written for a thread team" not in rep.reason
    # acc[me] updated from every iteration: still never a plain `parallel for` without atomics
    assert not any(c.kind == "pragma" for c in rep.candidates), [c.pragma for c in rep.candidates]


INSIDE = WRAPPED.replace("""  int me = omp_get_thread_num();
  int step = 3;
  for (int i = 0; i < n; i += step) {
""", """  int step = 3;
  for (int i = 0; i < n; i += step) {
    int me = omp_get_thread_num();
""")


def test_a_thread_number_read_in_the_loop_body_keeps_the_ordinary_pragma_unproven(tmp_path):
    """Every iteration reads the number of the thread running it: a plain `parallel for` is what the rows assume."""
    reports = analyze_source(parse(INSIDE), "w.c")
    rep, cands = team_of(reports, 6)
    assert rep.verdict == "unknown" and rep.pragma is None and rep.unproven == "#pragma omp parallel for"
    assert cands and all(c.proof == "unproven" for c in cands)
    assert cands[0].pragma == "#pragma omp parallel for" and [e.start_line for e in cands[0].edits] == [6]
    assert "each iteration indexes acc[me] by me = omp_get_thread_num(), the thread running it" in cands[0].reason
    runs = outputs(tmp_path, {"serial": INSIDE, "inside": apply_to_text(INSIDE, cands[0].edits)})
    assert {runs[key] for key in runs} == {runs["serial", 1]} and runs["serial", 1].count("\n") == 8
    # the thread number used as a value: the result would depend on the thread count, so nothing is proposed
    valued = INSIDE.replace("acc[me][b] += v[i];", "acc[me][b] += v[i] * (me + 1);")
    rep, cands = team_of(analyze_source(parse(valued), "w.c"), 6)
    assert "written for a thread team" not in rep.reason and not any(c.kind == "pragma" for c in cands)
