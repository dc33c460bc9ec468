"""The analysis planner, rank_targets and `hpcagent analyze` on a small tree."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from conftest import DATA, outputs_with_edits
from typer.testing import CliRunner

from hpcagent.agent.cli.main import app
from hpcagent.agent.planners.analysis import AnalysisPlanner, TreeAnalysis, group_rewrites, plain_group
from hpcagent.agent.protocols import PlanContext
from hpcagent.records import Attempt, Feedback, LoopTarget, Verdict
from hpcagent.tools.loops.analysis import analyze_path, candidates_for, format_table, rank_targets

CORPUS = DATA / "loops"

KERNEL = """#include <stdio.h>
#define N 2000
double a[N], b[N];
double work(int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}
void serial_part(int n) {
  for (int i = 1; i < n; i++)
    a[i] = a[i - 1] + b[i];
}
int main(void) { printf("%f\\n", work(N)); serial_part(N); return 0; }
"""


def make_tree(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "k.c").write_text(KERNEL)
    return tmp_path


def attempt(n, proposal, kind="not_faster", data=None):
    return Attempt(n, proposal, {}, Verdict("repair", Feedback(kind, data=data or {})))


def test_planner_walks_candidates_then_stops(tmp_path):
    root = make_tree(tmp_path)
    target = LoopTarget("src/k.c", 6, 7, "work", verdict="reduction")
    planner, ctx = AnalysisPlanner(), PlanContext(root)
    history, seen = [], []
    while (prop := planner.propose(target, ctx, history)) is not None:
        assert prop.pragma not in seen, "a proposal was repeated"
        seen.append(prop.pragma)
        assert prop.edits[0].start_line == 6 and prop.edits[0].end_line == 5
        assert prop.edits[0].new_text == "  " + prop.pragma + "\n"
        history.append(attempt(len(history) + 1, prop))
        assert len(history) < 10
    # a straight-line body over fixed bounds costs the same every iteration: no dynamic schedule to try after it
    assert seen == ["#pragma omp parallel for reduction(+:s)"]
    # with a branch in the body the work may differ: a dynamic schedule follows the static one
    branchy = KERNEL.replace("    s += a[i] * b[i];", "    s += a[i] > 0 ? a[i] * b[i] : b[i];")
    (root / "src" / "k.c").write_text(branchy)
    pragmas = [c.pragma for c in candidates_for(root, "src/k.c", 6)]
    assert pragmas[:2] == ["#pragma omp parallel for reduction(+:s)",
                           "#pragma omp parallel for schedule(dynamic, 16) reduction(+:s)"]


def test_planner_honours_clause_feedback(tmp_path):
    root = make_tree(tmp_path)
    target = LoopTarget("src/k.c", 6, 7, "work")
    planner, ctx = AnalysisPlanner(), PlanContext(root)
    first = planner.propose(target, ctx, [])
    fixed = planner.propose(target, ctx, [attempt(1, first, "race", {"add_clauses": ["private(t)"]})])
    assert fixed.clauses == ["reduction(+:s)", "private(t)"]
    assert fixed.edits[0].new_text == "  #pragma omp parallel for reduction(+:s) private(t)\n"
    dropped = planner.propose(target, ctx, [attempt(1, fixed, "compile_error", {"drop_clauses": ["private(t)"]})])
    assert dropped.clauses == ["reduction(+:s)"]


def test_planner_refuses_serial_loops(tmp_path):
    root = make_tree(tmp_path)
    assert AnalysisPlanner().propose(LoopTarget("src/k.c", 11, 12, "serial_part"), PlanContext(root), []) is None


def test_rank_targets_with_and_without_profile(tmp_path):
    root = make_tree(tmp_path)
    plain = rank_targets(root)
    assert [t.line for t in plain] == [6, 11]
    assert plain[0].verdict == "reduction" and plain[1].verdict == "serial"
    profiled = rank_targets(root, profile={"functions": {"serial_part": 0.9, "work": 0.1}})
    assert profiled[0].line == 11 and profiled[0].share == 0.9
    by_line = rank_targets(root, profile={"functions": {}, "lines": {"src/k.c:7": 0.7}})
    assert by_line[0].line == 6 and by_line[0].share == 0.7


def test_rank_targets_one_target_per_nest_prefers_outer_parallel_loop():
    targets = [t for t in rank_targets(CORPUS, [CORPUS / "nests.c"]) if t.function == "time_steps"]
    # the time loop is serial: its two parallel inner loops are targets, and the time loop is one too (ranked
    # first) for the group change that makes both parallel together
    assert next(t.line for t in targets) == 93 and sorted(t.line for t in targets) == [93, 95, 98]


def test_candidates_include_interchange_for_naive_gemm():
    cands = candidates_for(CORPUS, "linalg.c", 12)
    rewrite = next(c for c in cands if c.locality == "interchange")
    text = rewrite.edits[0].new_text
    assert text.index("for (k = 0") < text.index("for (j = 0")
    assert text.lstrip().startswith("#pragma omp parallel for")


def test_analyze_path_json_and_table(tmp_path):
    root = make_tree(tmp_path)
    result = analyze_path(root)
    loops = {lp["line"]: lp for lp in result["loops"]}
    assert loops[6]["verdict"] == "reduction" and loops[6]["pragma"].endswith("reduction(+:s)")
    assert loops[11]["verdict"] == "serial" and loops[11]["pragma"] is None
    assert set(loops[6]) == {"file", "line", "end_line", "function", "depth", "verdict", "reason", "pragma",
                             "clauses", "unproven"}
    assert "src/k.c:11" in format_table(result)


def test_cli_analyze(tmp_path):
    root = make_tree(tmp_path)
    runner = CliRunner()
    out = runner.invoke(app, ["analyze", str(root), "--json"])
    assert out.exit_code == 0
    assert json.loads(out.stdout)["loops"][0]["file"] == "src/k.c"
    table = runner.invoke(app, ["analyze", str(root / "src" / "k.c")])
    assert table.exit_code == 0 and "reduction(+:s)" in table.stdout
    missing = runner.invoke(app, ["analyze", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(__file__, empty / "x.py")
    none = runner.invoke(app, ["analyze", str(empty)])
    assert none.exit_code == 2 and "no C/C++ source" in none.output


STEPS = """#define N 600
double A[N][N], x1[N], x2[N], y1[N], y2[N];
void mvt(int reps) {
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                x1[i] += A[i][j] * y1[j];
        for (int i = 0; i < N; i++)
            y2[i] = x1[i] * 0.5;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                x2[i] += A[j][i] * y2[j];
    }
}
"""


def timed(n: int, prop, speedup: float) -> Attempt:
    """An accepted attempt whose whole-program speedup is `speedup`, its slowest ratio 2% below."""
    from hpcagent.evidence import Evidence, Timing

    timing = Timing(speedup=speedup, speedup_min=round(speedup * 0.98, 3), beyond_noise=True)
    return Attempt(n, prop, Evidence(stage="passed", timing=timing), Verdict("accept", Feedback("accepted")))


def nests(prop) -> dict[int, str]:
    """The lines whose text a group proposal replaces (a member's rewritten nest), with the replacement."""
    return {e.start_line: e.new_text for e in prop.edits if e.end_line >= e.start_line}


def accepted_steps_group(tmp_path: Path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "k.c").write_text(STEPS)
    target = LoopTarget("src/k.c", 4, 14, "mvt", verdict="serial")
    planner, ctx = AnalysisPlanner(), PlanContext(tmp_path)
    history = []
    first = planner.propose(target, ctx, history)
    if not plain_group(first):  # the team form comes first; it lost here, so the one-pragma-per-loop form is next
        history.append(Attempt(1, first, {}, Verdict("repair", Feedback("not_faster"))))
        first = planner.propose(target, ctx, history)
    assert plain_group(first) and first.members == ["src/k.c:5", "src/k.c:8", "src/k.c:10"]
    reports = TreeAnalysis(tmp_path).reports("src/k.c")
    # nothing is offered on top of a group that was not accepted
    assert group_rewrites(target, reports, [*history, Attempt(2, first, {}, Verdict("repair", Feedback("x")))]) == []
    history.append(timed(len(history) + 1, first, 1.2))
    return target, planner, ctx, history, first


def test_an_accepted_group_stacks_its_loops_own_rewrites(tmp_path):
    """A time step's group accepted in its one-pragma-per-loop form: the planner then offers the group with its
    loops' nests rewritten (tiled, reordered, unrolled and jammed, fused), the column walk (line 10) first. Each
    candidate builds on the fastest group form so far: a winning rewrite stays, and the next one is added to it."""
    target, planner, ctx, history, group = accepted_steps_group(tmp_path)
    column = planner.propose(target, ctx, history)
    assert column.locality == "tile" and list(nests(column)) == [10], column.edits
    assert "src/k.c:10 rewritten:" in column.reason and column.members == group.members
    # line 5's and line 8's own pragmas stay, line 10's goes with its nest
    assert sorted(e.start_line for e in column.edits if e.end_line < e.start_line) == [5, 8]
    history.append(timed(len(history) + 1, column, 5.0))
    both = planner.propose(target, ctx, history)
    assert both.locality == "tile" and nests(both)[10] == nests(column)[10] and list(nests(both)) == [5, 10]
    history.append(timed(len(history) + 1, both, 5.6))  # faster beyond the noise: both tilings stay
    alternative = planner.propose(target, ctx, history)
    # the column walk's next rewrite in place of its tiling, the row walk's tiling kept
    assert alternative.locality == "unroll-jam" and nests(alternative)[5] == nests(both)[5]
    assert nests(alternative)[10] != nests(column)[10]
    history.append(timed(len(history) + 1, alternative, 3.0))  # lost: the column walk's search ends
    row_jam = planner.propose(target, ctx, history)
    assert row_jam.locality == "unroll-jam" and nests(row_jam)[10] == nests(column)[10]
    assert nests(row_jam)[5] != nests(both)[5]
    history.append(timed(len(history) + 1, row_jam, 6.5))
    fused = planner.propose(target, ctx, history)
    # line 5's nest fused with line 8's loop (which reads x1[i] only): the fused loop's pragma replaces both loops'
    # own; the column walk's tiling stays
    assert fused.locality == "fusion" and nests(fused)[10] == nests(column)[10], fused.edits
    assert not any(e.start_line == 8 and e.end_line == 7 for e in fused.edits), fused.edits
    history.append(timed(len(history) + 1, fused, 6.4))  # not faster beyond the noise: the row walk's search ends
    assert planner.propose(target, ctx, history) is None
    # every stacked form builds (-Wall -Werror) and computes what the program as written computes, at 2 threads
    main = """
#include <stdio.h>
int main(void) {
    for (int i = 0; i < N; i++) {
        x1[i] = i % 7 * 0.25; x2[i] = i % 5 * 0.5; y1[i] = i % 3 * 0.125;
        y2[i] = 1.0 / (i + 1);
        for (int j = 0; j < N; j++) A[i][j] = (i * j % 11) * 0.01;
    }
    mvt(3);
    double s = 0;
    for (int i = 0; i < N; i++) s += x1[i] + 2 * x2[i];
    printf("%.6e\\n", s);
    return 0;
}
"""
    def renamed(text: str) -> str:  # gcc knows y1 as a Bessel function: -Werror refuses it as an array name
        return text.replace("y1", "u1").replace("y2", "u2")

    (tmp_path / "k.c").write_text(renamed(STEPS + main))
    edits = [[replace(e, file="k.c", new_text=renamed(e.new_text)) for e in a.proposal.edits]
             for a in history if a.accepted]
    (tmp_path / "built").mkdir()
    outputs = outputs_with_edits(tmp_path / "k.c", [[], *edits], tmp_path / "built")
    assert len(outputs) == 7 and len(set(outputs)) == 1 and outputs[0].strip(), outputs


def test_a_members_losing_rewrite_ends_its_search_and_the_fastest_form_is_the_base(tmp_path):
    """mvt's run: the column walk's tiling wins; the row walk's tiling on top of it does not, so the row walk gets
    nothing more; the column walk's next rewrite is then tried alone in place of its tiling, and losing, ends the
    search. Before, every member's every rewrite was tried on the plain group, and none combined."""
    target, planner, ctx, history, _ = accepted_steps_group(tmp_path)
    column = planner.propose(target, ctx, history)
    history.append(timed(len(history) + 1, column, 5.0))
    both = planner.propose(target, ctx, history)
    assert list(nests(both)) == [5, 10]
    history.append(timed(len(history) + 1, both, 5.05))  # within the column tiling's spread: not a win
    jam = planner.propose(target, ctx, history)
    assert jam.locality == "unroll-jam" and list(nests(jam)) == [10], jam.edits
    assert sorted(e.start_line for e in jam.edits if e.end_line < e.start_line) == [5, 8]
    history.append(timed(len(history) + 1, jam, 3.5))
    assert planner.propose(target, ctx, history) is None
    # nothing was tried twice
    assert len({tuple((e.start_line, e.end_line, e.new_text) for e in a.proposal.edits) for a in history}) == \
        len(history)


def test_a_members_insertion_only_rewrite_replaces_its_pragma_in_the_group():
    """A member's `omp simd` rewrite inserts its own `parallel for` on the member's line (and `omp simd` inside):
    the group's pragma for that member must go, or two pragmas stand before one loop (atax's race build failed
    so: "statement after '#pragma omp parallel for' must be a for loop")."""
    from types import SimpleNamespace

    from hpcagent.records import Edit, Proposal

    def ins(line: int, text: str) -> Edit:
        return Edit("k.c", line, line - 1, f"    {text}\n")

    base = Proposal("k.c", 3, 20, "rewrite", None, [], [ins(5, "#pragma omp parallel for"),
                                                       ins(9, "#pragma omp parallel for")], members=["k.c:5", "k.c:9"])
    assert plain_group(base)
    simd = Proposal("k.c", 9, 12, "rewrite", "#pragma omp parallel for", [], [
        ins(9, "#pragma omp parallel for"), ins(11, "#pragma omp simd reduction(+:t)")], locality="simd")
    reports = [SimpleNamespace(file="k.c", line=5, strided=0, candidates=[]),
               SimpleNamespace(file="k.c", line=9, strided=0, candidates=[simd])]
    target = LoopTarget("k.c", 3, 20, "f", verdict="serial")
    (prop,) = group_rewrites(target, reports, [Attempt(1, base, {}, Verdict("accept", Feedback("accepted")))])
    assert sorted((e.start_line, e.new_text.strip()) for e in prop.edits) == [
        (5, "#pragma omp parallel for"), (9, "#pragma omp parallel for"), (11, "#pragma omp simd reduction(+:t)")]
    assert prop.members == base.members and prop.locality == "simd"
