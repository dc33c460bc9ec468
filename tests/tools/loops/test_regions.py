"""Thread teams outside the loop they share out (tools/loops/regions.py): when each form is offered and what it writes.

The sandbox runs of these forms are in tests/agent/run/test_groups_docker.py (a team around jacobi2d's time loop,
race-checked and timed) and in the examples' end-to-end test (heat2d's team at the call site).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hpcagent.agent.planners.analysis import AnalysisPlanner
from hpcagent.agent.protocols import PlanContext
from hpcagent.agent.run.report import change_label
from hpcagent.records import Attempt, Feedback, LoopTarget, Verdict
from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.patch import apply_edits

SWEEPS = """#define N 500
double A[N][N], B[N][N];
void step(int nsteps, double w) {
    for (int t = 0; t < nsteps; t++) {
        double c = 0.2 * w;
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                B[i][j] = c * (A[i][j] + A[i][j - 1] + A[i][j + 1] + A[i + 1][j] + A[i - 1][j]);
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                A[i][j] = B[i][j];
    }
}
"""
TIME, FIRST, SECOND = 4, 6, 9


def reports(text: str) -> dict:
    return {r.line: r for r in analyze_source(parse(text.encode(), "c"), "k.c")}


def edits_of(prop) -> list[tuple[int, str]]:
    return [(e.start_line, e.new_text.strip()) for e in prop.edits]


def test_a_team_around_a_time_loop_shares_out_each_sweep():
    team = reports(SWEEPS)[TIME].team
    assert team is not None and team.proof == "static"
    assert team.members == [f"k.c:{FIRST}", f"k.c:{SECOND}"]
    assert edits_of(team) == [(TIME, "#pragma omp parallel"), (FIRST, "#pragma omp for"),
                              (SECOND, "#pragma omp for")]
    assert (team.line, team.end_line) == (TIME, 12)


def test_no_team_when_a_thread_would_run_something_with_an_effect():
    cases = {
        # the index outside the header, read after the loop: a private copy would leave it unchanged
        "index read after": SWEEPS.replace("    for (int t = 0; t < nsteps; t++) {",
                                           "    int t;\n    for (t = 0; t < nsteps; t++) {").replace(
            "    }\n}\n", "    }\n    A[0][0] = t;\n}\n"),
        # a statement run once (single) that writes a private variable: one thread's copy only would change
        "single writes a private": SWEEPS.replace("        double c = 0.2 * w;\n",
                                                  "        double c = 0.2 * w;\n        c = c * 2;\n"),
        # a jump out of what would be the single block
        "jump": SWEEPS.replace("        double c = 0.2 * w;\n", "        double c = 0.2 * w;\n"
                                                                   "        if (A[0][0] > 1e9)\n            break;\n"),
        # a declaration reading what a single writes: a thread could read it while another is in the single
        "declaration reads a single's write": SWEEPS.replace("        double c = 0.2 * w;\n",
                                                             "        w = w * 0.5;\n        double c = 0.2 * w;\n"),
        # a bound read from memory that a sweep may write
        "bound in memory": SWEEPS.replace("t < nsteps", "t < (int)A[0][0]"),
        # a call in a declaration's initializer
        "call": SWEEPS.replace("double c = 0.2 * w;", "double c = scale(w);"),
        # a static local is one object for every thread
        "static": SWEEPS.replace("double c = 0.2 * w;", "static double c = 0.2;"),
    }
    for name, text in cases.items():
        rep = reports(text)
        line = TIME + (1 if name == "index read after" else 0)
        assert rep[line].team is None, name


def test_statements_between_the_sweeps_run_once_in_a_single_block():
    """A pointer swap or a shared write between the sweeps runs in `#pragma omp single { ... }`: one thread does it,
    the others wait at its barrier; an index declared before the loop and dead after it is private."""
    swap = SWEEPS.replace("        double c = 0.2 * w;\n", "        double c = 0.2 * w;\n        A[0][0] = c;\n"
                                                             "        B[0][0] = c;\n").replace(
        "    for (int t = 0; t < nsteps; t++) {", "    int t;\n    for (t = 0; t < nsteps; t++) {")
    team = reports(swap)[TIME + 1].team
    assert team is not None and team.proof == "static" and team.pragma == "#pragma omp parallel private(t)"
    assert edits_of(team) == [(TIME + 1, "#pragma omp parallel private(t)"),
                              (TIME + 3, "#pragma omp single\n        {"),
                              (TIME + 5, "}\n        #pragma omp for"), (TIME + 8, "#pragma omp for")]
    root = Path(__import__("tempfile").mkdtemp())
    (root / "k.c").write_text(swap)
    apply_edits(root, team.edits)
    text = (root / "k.c").read_text()
    assert "        #pragma omp single\n        {\n        A[0][0] = c;\n        B[0][0] = c;\n        }\n" in text


def test_a_cpp_object_is_never_constructed_by_every_thread():
    """A class object in the body is not a private variable (its constructor would run in every thread): when
    nothing else uses it, it is built once, in a single block; when a sweep uses it, there is no team."""
    cpp = "#include <vector>\n" + SWEEPS.replace("        double c = 0.2 * w;\n",
                                                  "        double c = 0.2 * w;\n        std::vector<double> row(N);\n")
    rep = {r.line: r for r in analyze_source(parse(cpp.encode(), "cpp"), "k.cpp")}
    assert (TIME + 3, "#pragma omp single\n        {") in edits_of(rep[TIME + 1].team)
    used = cpp.replace("A[i][j] = B[i][j];", "A[i][j] = B[i][j] + row[0];")
    rep = {r.line: r for r in analyze_source(parse(used.encode(), "cpp"), "k.cpp")}
    assert rep[TIME + 1].team is None
    plain = {r.line: r for r in analyze_source(parse(SWEEPS.encode(), "cpp"), "k.cpp")}
    assert plain[TIME].team is not None


def test_no_team_for_a_reduction_into_a_variable_each_thread_would_own():
    inner_sum = SWEEPS.replace("        double c = 0.2 * w;\n", "        double c = 0.2 * w, s = 0.0;\n").replace(
        "                A[i][j] = B[i][j];", "                s += B[i][j];")
    assert reports(inner_sum)[TIME].team is None
    # declared outside the time loop it is shared, and the omp for's reduction combines into it every step
    outer_sum = inner_sum.replace("double c = 0.2 * w, s = 0.0;", "double c = 0.2 * w;").replace(
        "void step(int nsteps, double w) {", "double s;\nvoid step(int nsteps, double w) {")
    team = reports(outer_sum)[TIME + 1].team
    assert team is not None and any("reduction(+:s)" in text for _, text in edits_of(team))


def test_a_small_sweep_without_a_candidate_is_still_shared_out():
    # a copy of one row is too small for a team of its own, but run redundantly by every thread it would race
    text = SWEEPS.replace("        double c = 0.2 * w;\n", "        for (int j = 0; j < N; j++)\n"
                                                         "            B[0][j] = w;\n        double c = 0.2 * w;\n")
    rep = reports(text)
    assert rep[TIME + 1].candidates == []
    team = rep[TIME].team
    assert team is not None and team.members[0] == f"k.c:{TIME + 1}"
    assert edits_of(team)[1] == (TIME + 1, "#pragma omp for")


def test_planner_tries_the_team_then_one_pragma_per_sweep(tmp_path: Path):
    (tmp_path / "k.c").write_text(SWEEPS)
    planner, ctx = AnalysisPlanner(), PlanContext(tmp_path)
    target = LoopTarget("k.c", TIME, 12, "step", verdict="serial")
    team = planner.propose(target, ctx, [])
    assert team is not None and edits_of(team)[0] == (TIME, "#pragma omp parallel")
    slower = Attempt(1, team, {}, Verdict("repair", Feedback("slower")))
    plain = planner.propose(target, ctx, [slower])
    assert plain is not None and plain.members == team.members
    assert edits_of(plain) == [(FIRST, "#pragma omp parallel for"), (SECOND, "#pragma omp parallel for")]
    assert planner.propose(target, ctx, [slower, Attempt(2, plain, {}, Verdict("repair", Feedback("slower")))]) \
        is None


ALIASED = """#include <stdio.h>
#include <stdlib.h>
void relax(double *u, double *v, int n, int steps)
{
    for (int t = 0; t < steps; t++) {
        for (int i = 1; i < n - 1; i++)
            v[i] = 0.5 * u[i] + 0.25 * (u[i - 1] + u[i + 1]);
        for (int i = 1; i < n - 1; i++)
            u[i] = 0.5 * v[i] + 0.25 * (v[i - 1] + v[i + 1]);
    }
}
void shifted(double *u, int n) { relax(u, u + 1, n - 1, 1); }
int main(void)
{
    int n = 100000;
    double *u = calloc(n, sizeof *u), *v = calloc(n, sizeof *v);
    for (int i = 0; i < n; i++) u[i] = i % 17;
    relax(u, v, n, 50);
    printf("%.12e %.12e\\n", u[n / 2], u[n / 3]);
    return 0;
}
"""


def test_a_time_loop_unknown_only_through_possible_aliasing_gets_an_unproven_team(tmp_path: Path):
    """Another caller hands relax() overlapping arrays, so neither the time loop nor its sweeps are proved; the
    sweeps are parallel once u and v are apart, so the time loop gets its team, unproven (left to the sandbox's race
    check and output comparison), tried first by the planner; as written it prints what the serial program does."""
    reps = reports(ALIASED)
    assert reps[5].verdict == "unknown" and "may alias" in reps[5].reason
    assert not any(c.line == 5 for c in reps[5].candidates)  # the time loop itself: dependent once apart
    team = reps[5].team
    assert team is not None and team.proof == "unproven" and "may alias" in team.reason
    assert team.members == ["k.c:6", "k.c:8"]
    assert edits_of(team) == [(5, "#pragma omp parallel"), (6, "#pragma omp for"), (8, "#pragma omp for")]
    (tmp_path / "k.c").write_text(ALIASED)
    planner, ctx = AnalysisPlanner(), PlanContext(tmp_path)
    first = planner.propose(LoopTarget("k.c", 5, 10, "relax", verdict="unknown"), ctx, [])
    assert first is not None and edits_of(first) == edits_of(team)
    (tmp_path / "plain").mkdir()
    shutil.copy(tmp_path / "k.c", tmp_path / "plain" / "k.c")
    apply_edits(tmp_path, team.edits)
    assert shutil.which("gcc"), "gcc is not installed"
    outputs = []
    for src in (tmp_path / "plain" / "k.c", tmp_path / "k.c"):
        exe = src.with_suffix(".bin")
        subprocess.run(["gcc", "-fopenmp", "-O1", str(src), "-o", str(exe)], check=True, timeout=120)
        outputs.append(subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=60,
                                      env={"OMP_NUM_THREADS": "2"}).stdout)
    assert outputs[0] == outputs[1] and outputs[0].strip()


STENCIL = """#include <stdlib.h>
static void sweep(const double *restrict u, double *restrict v, int n)
{
    int w = n + 2;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= n; j++)
            v[i * w + j] = 0.25 * (u[i * w + j - 1] + u[i * w + j + 1] + u[(i - 1) * w + j] + u[(i + 1) * w + j]);
}

void solve(double **u, double **v, int n, int steps)
{
    for (int s = 0; s < steps; s++) {
        sweep(*u, *v, n);
        double *t = *u;
        *u = *v;
        *v = t;
    }
    sweep(*u, *v, n++);
}
"""
LOOP, CALL = 5, 13


def test_a_team_at_the_call_site_keeps_the_loop_in_its_restrict_function(tmp_path: Path):
    cands = reports(STENCIL)[LOOP].candidates
    first = cands[0]
    # the call with an increment in its arguments is left alone: every thread would evaluate them
    assert edits_of(first) == [(LOOP, "#pragma omp for"), (CALL, "#pragma omp parallel")]
    assert first.kind == "rewrite" and first.proof == "static" and first.members == []
    assert "restrict parameters (u, v)" in first.reason
    # the report, summary and progress line name both edits, not only the loop's pragma
    assert change_label(first.to_dict()) == f"#pragma omp for + k.c:{CALL} `#pragma omp parallel`"
    # the plain parallel for follows it
    assert edits_of(cands[1]) == [(LOOP, "#pragma omp parallel for")]
    (tmp_path / "k.c").write_text(STENCIL)
    apply_edits(tmp_path, first.edits)
    lines = (tmp_path / "k.c").read_text().splitlines()
    assert lines[LOOP - 1].strip() == "#pragma omp for" and lines[LOOP].strip().startswith("for (int i")
    assert lines[CALL].strip() == "#pragma omp parallel" and lines[CALL + 1].strip() == "sweep(*u, *v, n);"


def test_no_team_at_the_call_site_without_its_conditions():
    def offered(text: str) -> bool:
        loop = next(r for r in reports(text).values() if r.function == "sweep" and r.depth == 1)
        return any("call site" in c.reason for c in loop.candidates)

    assert offered(STENCIL)
    assert not offered(STENCIL.replace("*restrict", "*"))  # nothing the outlined loop would lose
    # something besides the loop that every thread would run
    assert not offered(STENCIL.replace("    int w = n + 2;\n", "    int w = n + 2; calls++;\n")
                       .replace("#include <stdlib.h>\n", "#include <stdlib.h>\nint calls;\n"))
    # a function that returns a value
    assert not offered(STENCIL.replace("static void sweep", "static int sweep").replace(
        "u[(i + 1) * w + j]);\n}", "u[(i + 1) * w + j]);\n    return 0;\n}"))
    # no plain call statement to put the team on
    assert not offered(STENCIL.replace("        sweep(*u, *v, n);\n", "        (void)0;\n"))


def test_clause_feedback_does_not_turn_the_orphaned_loop_into_a_parallel_for(tmp_path: Path):
    # a `parallel for` inside the caller's team would make each thread run every iteration: the planner moves on
    (tmp_path / "k.c").write_text(STENCIL)
    planner, ctx = AnalysisPlanner(), PlanContext(tmp_path)
    target = LoopTarget("k.c", LOOP, LOOP + 2, "sweep", verdict="parallel")
    first = planner.propose(target, ctx, [])
    assert first is not None and "call site" in first.reason
    raced = Attempt(1, first, {}, Verdict("repair", Feedback("race", data={"add_clauses": ["private(w)"]})))
    second = planner.propose(target, ctx, [raced])
    assert second is not None and edits_of(second) == [(LOOP, "#pragma omp parallel for")]
