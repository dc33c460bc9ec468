"""Group changes: the parallel sweeps inside a serial time-step loop, proposed, tried and composed as one change.

The graph is driven with the real planner, critic, patching, compose and report; only the sandbox's evidence is
scripted (a fake `evaluate.evidence` that reads the candidate tree it is given).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hpcagent.agent.config import Config
from hpcagent.agent.critics.rules import RuleCritic
from hpcagent.agent.planners.analysis import AnalysisPlanner
from hpcagent.agent.protocols import PlanContext
from hpcagent.agent.run import evaluate
from hpcagent.agent.run.graph import Runtime, build_graph
from hpcagent.agent.run.report import summarize, write_outputs
from hpcagent.agent.run.transcript import Transcript, read_transcript
from hpcagent.records import Attempt, Feedback, LoopTarget, Verdict
from hpcagent.tools.loops.analysis import rank_targets
from hpcagent.tools.loops.groups import covered_by_groups, group_members, is_group
from hpcagent.tools.patch import apply_edits

# Two Jacobi sweeps in a time loop, a statement between them, and a serial recurrence the group must leave out.
STENCIL = """#include <stdio.h>
#define N 600
#define T 40
double A[N][N], B[N][N], c[N];
void step(void) {
    for (int t = 0; t < T; t++) {
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                B[i][j] = 0.2 * (A[i][j] + A[i][j - 1] + A[i][j + 1] + A[i + 1][j] + A[i - 1][j]);
        c[0] = B[1][1];
        for (int i = 1; i < N; i++)
            c[i] = c[i - 1] * 0.5 + B[i % (N - 1)][1];
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                A[i][j] = 0.2 * (B[i][j] + B[i][j - 1] + B[i][j + 1] + B[i + 1][j] + B[i - 1][j]);
    }
}
int main(void) { step(); printf("%f %f\\n", A[3][3], c[N - 1]); return 0; }
"""
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
    tried = Attempt(1, group, {}, Verdict("give_up", Feedback("race")))
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


# --- the graph, with scripted evidence ---------------------------------------------------------------------


def passed(root: Path, speedup: float) -> dict:
    runs = [{"threads": n, "ok": True, "races": 0, "seconds": 0.1} for n in (2, 4)]
    timing = {"speedup": speedup, "speedup_min": speedup - 0.05, "speedup_max": speedup + 0.05, "reps": 3,
              "threads": 2, "median_a": 1.0, "median_b": 1.0 / speedup, "verdict": "faster", "beyond_noise": True,
              "min_speedup": 1.05}
    return {"root": str(root), "stage": "passed", "race": {"build": {"ok": True}, "runs": runs, "races": [],
                                                             "ran": True},
            "build": {"ok": True}, "output": {"ok": True, "diff": None}, "timing": timing}


def raced(root: Path, line: int) -> dict:
    race = {"file": "k.c", "line": line, "other_line": line, "variable": "B", "kind": "write",
            "location_kind": "global"}
    runs = [{"threads": 2, "ok": True, "races": 1, "seconds": 0.1}]
    return {"root": str(root), "stage": "race", "error": "1 race(s)", "build": None, "timing": None,
            "race": {"build": {"ok": True}, "runs": runs, "races": [race], "ran": True}}


def pragma_lines(tree: Path) -> list[int]:
    """Original line numbers of the loops a tree's pragmas precede (each pragma line shifts the rest by one)."""
    lines = (tree / "k.c").read_text().splitlines()
    marks = [n for n, line in enumerate(lines, 1) if line.strip().startswith("#pragma omp")]
    assert all(n + 1 not in marks for n in marks), "a loop got two pragmas"
    return [n - k for k, n in enumerate(marks)]


def fake_evidence(group_races: bool):
    """Scripted sandbox evidence: both sweeps together 1.5x, one alone 1.1x; optionally a race in the group."""
    def evidence(sandbox, work, tree, cfg, base):
        at = pragma_lines(work / tree)
        if at == [FIRST, SECOND]:
            return raced(work / tree, FIRST + 3) if group_races and tree == "cand" else passed(work / tree, 1.5)
        return passed(work / tree, 1.1)
    return evidence


def run_graph(tmp_path: Path, monkeypatch, group_races: bool) -> tuple[dict, list[dict]]:
    repo = make_tree(tmp_path / "repo")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    cfg = Config()
    cfg.budget.explore = 0
    cfg.budget.attempts = 2
    monkeypatch.setattr(evaluate, "baseline", lambda sandbox, work, c: {"seconds": 1.0, "stdout": "", "outputs": {},
                                                                       "test": None, "races": [], "race_runs": []})
    monkeypatch.setattr(evaluate, "evidence", fake_evidence(group_races))

    def discover(state, c, sandbox):
        return {"targets": [t.to_dict() for t in rank_targets(Path(state["run_dir"]) / "work" / "orig")],
                "profile": {"error": "no profile in this test"}}

    transcript = Transcript(run_dir / "transcript.jsonl")
    rt = Runtime(sandbox=None, planner=AnalysisPlanner(), critic=RuleCritic(max_attempts=2), transcript=transcript,
                 discover=discover, report=write_outputs)
    state = {"run_id": "g", "repo": str(repo), "run_dir": str(run_dir), "config": cfg.to_dict(),
             "config_origin": "test", "started": time.time(), "phase": "discover"}
    final = build_graph(rt).invoke(state, {"recursion_limit": 500})
    return final, read_transcript(run_dir / "transcript.jsonl")


def test_accepted_group_skips_the_loops_it_covers(tmp_path: Path, monkeypatch):
    final, events = run_graph(tmp_path, monkeypatch, group_races=False)
    targets = [e["loop"] for e in events if e["kind"] == "target"]
    assert targets[0] == GROUP_ID and FIRST_ID not in targets and SECOND_ID not in targets
    skips = {e["loop"]: e for e in events if e["kind"] == "skip"}
    assert set(skips) == {FIRST_ID, SECOND_ID}
    assert all(GROUP_ID in e["reason"] for e in skips.values())
    assert final["composed"]["ok"] and final["composed"]["kept"] == [GROUP_ID]
    assert pragma_lines(tmp_path / "run" / "work" / "final") == [FIRST, SECOND]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    entry = next(lp for lp in summary["loops"] if lp["loop"] == GROUP_ID)
    assert summary["accepted"] == 1 and entry["status"] == "accepted" and entry["group"] == [FIRST_ID, SECOND_ID]
    assert entry["change"].startswith("2 loop(s) together")
    report = (tmp_path / "run" / "report.md").read_text()
    assert "Change (one group, accepted together): 2 loop(s) together" in report
    assert f"{FIRST_ID} `#pragma omp parallel for`" in report


def test_rejected_group_leaves_the_loops_to_be_tried_alone(tmp_path: Path, monkeypatch):
    final, events = run_graph(tmp_path, monkeypatch, group_races=True)
    verdicts = [e for e in events if e["kind"] == "verdict"]
    group = next(v for v in verdicts if v["loop"] == GROUP_ID)
    # the race names its line; no clause repair across several pragmas, only the group's other form (this one has
    # none: a statement between the sweeps rules out one team around the time loop), so the loop ends there
    assert group["action"] == "repair" and group["feedback"]["kind"] == "race"
    assert "data" in group["feedback"] and "add_clauses" not in group["feedback"]["data"]
    proposals = [e for e in events if e["kind"] == "proposal" and e["loop"] == GROUP_ID]
    assert len(proposals) == 2 and proposals[1]["proposal"] is None
    assert f"k.c:{FIRST + 3}" in group["feedback"]["evidence"]
    assert "tried one by one" in group["feedback"]["suggestion"]
    assert group["feedback"]["data"]["group"] == [FIRST_ID, SECOND_ID]
    assert [e for e in events if e["kind"] == "skip"] == []
    accepted = {v["loop"] for v in verdicts if v["action"] == "accept"}
    assert accepted == {FIRST_ID, SECOND_ID}
    assert set(final["composed"]["kept"]) == {FIRST_ID, SECOND_ID}


def test_compose_applies_a_child_covered_by_a_group_once(tmp_path: Path, monkeypatch):
    work = tmp_path / "work"
    make_tree(work / "orig")
    planner, ctx = AnalysisPlanner(), PlanContext(work / "orig")
    child = planner.propose(LoopTarget("k.c", FIRST, FIRST + 2, "step"), ctx, [])
    group = planner.propose(outer_target(), ctx, [])
    # the patcher does not see two insertions before the same line as overlapping: compose must not send both
    doubled = make_tree(tmp_path / "doubled")
    apply_edits(doubled, child.edits + group.edits)
    with pytest.raises(AssertionError, match="two pragmas"):
        pragma_lines(doubled)

    def record(loop: LoopTarget, proposal) -> dict:
        return {"target": loop.to_dict(), "status": "accepted", "reason": "", "attempts": [],
                "accepted": {"number": 1, "proposal": proposal.to_dict(), "check": {}, "verdict": {}}}

    loops = [record(LoopTarget("k.c", FIRST, FIRST + 2, "step"), child), record(outer_target(), group)]
    assert covered_by_groups(loops) == {FIRST_ID: GROUP_ID, SECOND_ID: GROUP_ID}
    monkeypatch.setattr(evaluate, "evidence", lambda sandbox, w, tree, cfg, base: passed(w / tree, 1.5))
    logged = []
    result = evaluate.compose(None, work, Config(), {}, loops, lambda kind, **data: logged.append(data))
    assert result["ok"] and result["kept"] == [GROUP_ID] and result["covered"] == {FIRST_ID: GROUP_ID}
    assert pragma_lines(work / "final") == [FIRST, SECOND]
    summary = summarize({"run_id": "x", "repo": "r", "loops": loops}, result)
    status = {lp["loop"]: (lp["status"], lp.get("covered_by")) for lp in summary["loops"]}
    assert status == {FIRST_ID: ("covered_by_group", GROUP_ID), GROUP_ID: ("accepted", None)}
    assert summary["accepted"] == 1
    # when the group fails in the whole program, it is dropped and the child's own change comes back
    monkeypatch.setattr(evaluate, "evidence", lambda sandbox, w, tree, cfg, base:
                        passed(w / tree, 1.2) if pragma_lines(w / tree) == [FIRST] else raced(w / tree, 9))
    result = evaluate.compose(None, work, Config(), {}, loops, lambda kind, **data: None)
    assert result["ok"] and result["kept"] == [FIRST_ID] and result["dropped"][0]["loop"] == GROUP_ID
    assert pragma_lines(work / "final") == [FIRST]


def test_compose_drops_a_change_that_stacks_a_second_pragma_on_a_loop(tmp_path: Path, monkeypatch):
    # e.g. a language model asked about the serial loop answered with a pragma on its first sweep, and that sweep
    # was later accepted on its own with other clauses: both insert before the same line
    work = tmp_path / "work"
    make_tree(work / "orig")
    ctx = PlanContext(work / "orig")
    child = AnalysisPlanner().propose(LoopTarget("k.c", FIRST, FIRST + 2, "step"), ctx, [])
    other = Attempt(1, child, {}, Verdict("repair", Feedback("not_faster")))
    second = AnalysisPlanner().propose(LoopTarget("k.c", FIRST, FIRST + 2, "step"), ctx, [other])
    assert second.edits[0].start_line == FIRST and second.edits[0].new_text != child.edits[0].new_text
    loops = [{"target": t.to_dict(), "status": "accepted", "reason": "", "attempts": [],
              "accepted": {"number": 1, "proposal": p.to_dict(), "check": {}, "verdict": {}}}
             for t, p in [(outer_target(), child), (LoopTarget("k.c", FIRST, FIRST + 2, "step"), second)]]
    monkeypatch.setattr(evaluate, "evidence", lambda sandbox, w, tree, cfg, base: passed(w / tree, 1.2))
    result = evaluate.compose(None, work, Config(), {}, loops, lambda kind, **data: None)
    assert result["ok"] and result["kept"] == [GROUP_ID] and result["dropped"][0]["loop"] == FIRST_ID
    assert pragma_lines(work / "final") == [FIRST]


def test_compose_drops_a_change_that_makes_the_whole_program_slower(tmp_path: Path, monkeypatch):
    """doitgen as measured: the kernel's loop alone 2.15x, a parallel initialisation alone 1.06x, both 1.66x. Compose
    tries once without the weaker change and keeps the faster set; a trial that is not clearly faster changes nothing."""
    work = tmp_path / "work"
    make_tree(work / "orig")
    planner, ctx = AnalysisPlanner(), PlanContext(work / "orig")
    first = planner.propose(LoopTarget("k.c", FIRST, FIRST + 2, "step"), ctx, [])
    second = planner.propose(LoopTarget("k.c", SECOND, SECOND + 2, "step"), ctx, [])

    def record(line: int, proposal, alone: float) -> dict:
        return {"target": LoopTarget("k.c", line, line + 2, "step").to_dict(), "status": "accepted", "reason": "",
                "attempts": [], "accepted": {"number": 1, "proposal": proposal.to_dict(),
                                             "check": passed(work, alone), "verdict": {}}}

    loops = [record(FIRST, first, 2.15), record(SECOND, second, 1.06)]
    both_speed = {"value": 1.66}
    trees = []

    def evidence(sandbox, w, tree, cfg, base):
        at = pragma_lines(w / tree)
        trees.append(at)
        return passed(w / tree, both_speed["value"] if at == [FIRST, SECOND] else 2.15 if at == [FIRST] else 1.06)

    monkeypatch.setattr(evaluate, "evidence", evidence)
    logged = []
    result = evaluate.compose(None, work, Config(), {}, loops, lambda kind, **data: logged.append(data))
    assert trees == [[FIRST, SECOND], [FIRST]]
    assert result["ok"] and result["kept"] == [FIRST_ID] and result["check"]["timing"]["speedup"] == 2.15
    assert result["dropped"] == [{"loop": SECOND_ID, "reason": "the whole program ran faster without it: "
                                                               "2.15x without, 1.66x with"}]
    assert pragma_lines(work / "final") == [FIRST] and logged[1]["without"] == SECOND_ID
    # both together nearly as fast as the best alone: no trial; and a trial that does not pay keeps both
    both_speed["value"] = 2.0
    trees.clear()
    result = evaluate.compose(None, work, Config(), {}, loops, lambda kind, **data: None)
    assert trees == [[FIRST, SECOND]] and result["kept"] == [FIRST_ID, SECOND_ID]
    loops[0]["accepted"]["check"] = passed(work, 2.5)  # the best alone was timed higher than the trial gives now
    both_speed["value"] = 2.1
    trees.clear()
    result = evaluate.compose(None, work, Config(), {}, loops, lambda kind, **data: None)
    assert trees == [[FIRST, SECOND], [FIRST]] and result["kept"] == [FIRST_ID, SECOND_ID]
    assert result["check"]["timing"]["speedup"] == 2.1 and pragma_lines(work / "final") == [FIRST, SECOND]
