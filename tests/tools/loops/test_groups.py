"""Group changes as the analysis proposes them: the parallel sweeps inside a serial time-step loop, as one change.
(How the run tries and composes them: tests/agent/run/test_group_runs.py.)"""

from __future__ import annotations

from pathlib import Path

from conftest import DATA

from hpcagent.agent.planners.analysis import AnalysisPlanner
from hpcagent.agent.protocols import PlanContext
from hpcagent.evidence import Evidence
from hpcagent.records import Attempt, Feedback, LoopTarget, Verdict
from hpcagent.tools.loops.analysis import rank_targets
from hpcagent.tools.loops.groups import group_members, is_group
from hpcagent.tools.patch import apply_edits

# Two Jacobi sweeps in a time loop, a statement between them, and a serial recurrence the group must leave out.
STENCIL = (DATA / "groups" / "k.c").read_text()
OUTER, FIRST, RECURRENCE, SECOND = 6, 7, 11, 13
GROUP_ID, FIRST_ID, SECOND_ID = f"k.c:{OUTER}", f"k.c:{FIRST}", f"k.c:{SECOND}"


def make_tree(root: Path, text: str = STENCIL) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "k.c").write_text(text)
    return root


def outer_target() -> LoopTarget:
    return LoopTarget("k.c", OUTER, 16, "step", verdict="serial")


def test_group_proposal_carries_each_parallel_sweep(tmp_path: Path):
    root = make_tree(tmp_path)
    planner, ctx = AnalysisPlanner(), PlanContext(root)
    group = planner.propose(outer_target(), ctx, [])
    assert group is not None and is_group(group)
    assert (group.line, group.end_line) == (OUTER, 16)
    # one pragma insertion before each parallel sweep, with that sweep's own indentation; the recurrence is left out
    assert [(e.start_line, e.end_line, e.new_text) for e in group.edits] == [
        (FIRST, FIRST - 1, "        #pragma omp parallel for\n"),
        (SECOND, SECOND - 1, "        #pragma omp parallel for\n")]
    assert group_members(group) == [FIRST_ID, SECOND_ID]
    assert "group of 2 loops" in group.reason and FIRST_ID in group.reason and SECOND_ID in group.reason
    # each sweep's pragma is that sweep's top candidate, clauses included
    for line in (FIRST, SECOND):
        alone = planner.propose(LoopTarget("k.c", line, line + 2, "step"), ctx, [])
        assert alone is not None and not is_group(alone)
        assert [e.new_text for e in group.edits if e.start_line == line] == [alone.edits[0].new_text]
    applied = make_tree(tmp_path / "applied")
    apply_edits(applied, group.edits)
    lines = (applied / "k.c").read_text().splitlines()
    assert lines[FIRST - 1].strip() == lines[SECOND].strip() == "#pragma omp parallel for"
    # a group is tried once: after it, nothing is left for the serial loop
    tried = Attempt(1, group, Evidence(stage="race"), Verdict("give_up", Feedback("race")))
    assert planner.propose(outer_target(), ctx, [tried]) is None


def test_group_needs_two_parallel_loops_and_keeps_their_clauses(tmp_path: Path):
    one = STENCIL.replace("for (int i = 1; i < N - 1; i++)\n            for (int j = 1; j < N - 1; j++)\n"
                          "                A[i][j]", "for (int i = 2; i < N - 1; i++)\n            for (int j = 1; "
                          "j < N - 1; j++)\n                A[i][j] = A[i - 1][j] + ")
    root = make_tree(tmp_path / "one", one)
    assert AnalysisPlanner().propose(outer_target(), PlanContext(root), []) is None
    assert all(t.line != OUTER for t in rank_targets(root))
    sums = STENCIL.replace("double A[N][N]", "double s1, s2, A[N][N]").replace(
        "        c[0] = B[1][1];\n", "        c[0] = B[1][1];\n        for (int i = 0; i < N; i++)\n"
                                    "            for (int j = 0; j < N; j++)\n                s1 += B[i][j];\n")
    root = make_tree(tmp_path / "sums", sums)
    group = AnalysisPlanner().propose(outer_target(), PlanContext(root), [])
    assert group is not None and len(group.edits) == 3
    assert any("reduction(+:s1)" in e.new_text for e in group.edits)


def test_rank_targets_puts_the_serial_loop_before_the_sweeps(tmp_path: Path):
    root = make_tree(tmp_path)
    lines = [t.line for t in rank_targets(root)]
    assert lines.index(OUTER) < lines.index(FIRST) and lines.index(OUTER) < lines.index(SECOND)
    profiled = rank_targets(root, profile={"functions": {"step": 0.95, "main": 0.05}})
    lines = [t.line for t in profiled]
    assert lines.index(OUTER) < min(lines.index(FIRST), lines.index(SECOND))
