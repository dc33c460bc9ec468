"""Group changes in the run: a time-step loop's parallel sweeps tried, skipped and composed as one change.

The graph runs with the real planner, critic, patching, compose and report; only the sandbox's evidence is
scripted, by a Lab that reads the candidate tree it is given (which loops carry a pragma).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DATA

from hpcagent.agent.config import Config
from hpcagent.agent.critics.rules import RuleCritic
from hpcagent.agent.planners.analysis import AnalysisPlanner
from hpcagent.agent.protocols import Lab, PlanContext
from hpcagent.agent.run.compose import compose, covered_by_groups
from hpcagent.agent.run.graph import build_graph
from hpcagent.agent.run.nodes import RunContext
from hpcagent.agent.run.report import summarize, write_outputs
from hpcagent.agent.run.state import initial_state
from hpcagent.agent.run.transcript import Transcript, read_transcript
from hpcagent.evidence import (
    Baseline,
    Build,
    Evidence,
    OutputCheck,
    RaceCheck,
    RaceRun,
    RaceSite,
    Timing,
)
from hpcagent.records import Attempt, Edit, Feedback, LoopResult, LoopTarget, Proposal, Verdict
from hpcagent.tools.patch import apply_edits

STENCIL = (DATA / "groups" / "k.c").read_text()
OUTER, FIRST, SECOND = 6, 7, 13
GROUP_ID, FIRST_ID, SECOND_ID = f"k.c:{OUTER}", f"k.c:{FIRST}", f"k.c:{SECOND}"


def make_tree(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "k.c").write_text(STENCIL)
    return root


def outer_target() -> LoopTarget:
    return LoopTarget("k.c", OUTER, 16, "step", verdict="serial")


class TreeLab:
    """A Lab whose evidence is a function of the candidate tree; no profile (static ranking), a 1 s baseline."""

    name = "tree"

    def __init__(self, evidence: Callable[[Path, str], Evidence]):
        self.fn = evidence

    def profile(self, work: Path, cfg: Config) -> dict:
        return {"error": "no profile in this test"}

    def baseline(self, work: Path, cfg: Config) -> Baseline:
        return Baseline(seconds=1.0)

    def evidence(self, work: Path, tree: str, cfg: Config, base: Baseline) -> Evidence:
        return self.fn(work, tree)


def passed(root: Path, speedup: float) -> Evidence:
    runs = [RaceRun(threads=n, seconds=0.1) for n in (2, 4)]
    timing = Timing(speedup=speedup, speedup_min=speedup - 0.05, speedup_max=speedup + 0.05, reps=3, threads=2,
                    median_a=1.0, median_b=1.0 / speedup, verdict="faster", beyond_noise=True, min_speedup=1.05)
    return Evidence(stage="passed", root=str(root), race=RaceCheck(Build(ok=True), runs, [], ran=True, threads=[2, 4]),
                    build=Build(ok=True), output=OutputCheck(ok=True), timing=timing)


def raced(root: Path, line: int) -> Evidence:
    race = RaceSite(file="k.c", line=line, other_line=line, variable="B", kind="write", location_kind="global")
    runs = [RaceRun(threads=2, races=1, seconds=0.1)]
    return Evidence(stage="race", error="1 race(s)", root=str(root),
                    race=RaceCheck(Build(ok=True), runs, [race], ran=True, threads=[2]))


def pragma_lines(tree: Path) -> list[int]:
    """Original line numbers of the loops a tree's pragmas precede (each pragma line shifts the rest by one)."""
    lines = (tree / "k.c").read_text().splitlines()
    marks = [n for n, line in enumerate(lines, 1) if line.strip().startswith("#pragma omp")]
    assert all(n + 1 not in marks for n in marks), "a loop got two pragmas"
    return [n - k for k, n in enumerate(marks)]


def scripted(group_races: bool) -> Lab:
    """Both sweeps together 1.5x, one alone 1.1x; optionally a race in the group (not in the composed program)."""
    def evidence(work: Path, tree: str) -> Evidence:
        if pragma_lines(work / tree) == [FIRST, SECOND]:
            return raced(work / tree, FIRST + 3) if group_races and tree == "cand" else passed(work / tree, 1.5)
        return passed(work / tree, 1.1)
    return TreeLab(evidence)


def run_graph(tmp_path: Path, group_races: bool) -> tuple[dict, list[dict]]:
    repo = make_tree(tmp_path / "repo")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    cfg = Config()
    cfg.budget.explore = 0
    cfg.budget.attempts = 2
    ctx = RunContext(lab=scripted(group_races), planner=AnalysisPlanner(), critic=RuleCritic(max_attempts=2),
                     transcript=Transcript(run_dir / "transcript.jsonl"), report=write_outputs)
    state = initial_state("g", str(repo), str(run_dir), cfg.to_dict(), "test")
    final = build_graph().invoke(state, {"recursion_limit": 500}, context=ctx)
    return final, read_transcript(run_dir / "transcript.jsonl")


def test_accepted_group_skips_the_loops_it_covers(tmp_path: Path):
    final, events = run_graph(tmp_path, group_races=False)
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


def test_rejected_group_leaves_the_loops_to_be_tried_alone(tmp_path: Path):
    final, events = run_graph(tmp_path, group_races=True)
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


def accepted(target: LoopTarget, proposal: Proposal, check: Evidence | None = None) -> LoopResult:
    attempt = Attempt(1, proposal, check or Evidence(stage="passed"), Verdict("accept", Feedback("accepted")))
    return LoopResult(target, "accepted", "", [], attempt)


def no_log(kind: str, **data) -> None:
    return None


def test_compose_applies_a_child_covered_by_a_group_once(tmp_path: Path):
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
    loops = [accepted(LoopTarget("k.c", FIRST, FIRST + 2, "step"), child), accepted(outer_target(), group)]
    assert covered_by_groups(loops) == {FIRST_ID: GROUP_ID, SECOND_ID: GROUP_ID}
    result = compose(TreeLab(lambda w, tree: passed(w / tree, 1.5)), work, Config(), Baseline(1.0), loops, no_log)
    assert result.ok and result.kept == [GROUP_ID] and result.covered == {FIRST_ID: GROUP_ID}
    assert pragma_lines(work / "final") == [FIRST, SECOND]
    summary = summarize({"run_id": "x", "repo": "r"}, loops, result)
    status = {lp["loop"]: (lp["status"], lp.get("covered_by")) for lp in summary["loops"]}
    assert status == {FIRST_ID: ("covered_by_group", GROUP_ID), GROUP_ID: ("accepted", None)}
    assert summary["accepted"] == 1
    # when the group fails in the whole program, it is dropped and the child's own change comes back
    lab = TreeLab(lambda w, tree: passed(w / tree, 1.2) if pragma_lines(w / tree) == [FIRST] else raced(w / tree, 9))
    result = compose(lab, work, Config(), Baseline(1.0), loops, no_log)
    assert result.ok and result.kept == [FIRST_ID] and result.dropped[0].loop == GROUP_ID
    assert pragma_lines(work / "final") == [FIRST]


def test_compose_drops_a_change_that_stacks_a_second_pragma_on_a_loop(tmp_path: Path):
    # e.g. a language model asked about the serial loop answered with a pragma on its first sweep, and that sweep
    # was later accepted on its own with other clauses: both insert before the same line
    work = tmp_path / "work"
    make_tree(work / "orig")
    ctx = PlanContext(work / "orig")
    child = AnalysisPlanner().propose(LoopTarget("k.c", FIRST, FIRST + 2, "step"), ctx, [])
    other = Attempt(1, child, Evidence(stage="timing"), Verdict("repair", Feedback("not_faster")))
    second = AnalysisPlanner().propose(LoopTarget("k.c", FIRST, FIRST + 2, "step"), ctx, [other])
    assert second.edits[0].start_line == FIRST and second.edits[0].new_text != child.edits[0].new_text
    loops = [accepted(outer_target(), child), accepted(LoopTarget("k.c", FIRST, FIRST + 2, "step"), second)]
    result = compose(TreeLab(lambda w, tree: passed(w / tree, 1.2)), work, Config(), Baseline(1.0), loops, no_log)
    assert result.ok and result.kept == [GROUP_ID] and result.dropped[0].loop == FIRST_ID
    assert pragma_lines(work / "final") == [FIRST]


def test_compose_drops_a_change_that_makes_the_whole_program_slower(tmp_path: Path):
    """doitgen as measured: the kernel's loop alone 2.15x, a parallel initialisation alone 1.06x, both 1.66x. Compose
    tries once without the weaker change and keeps the faster set; a trial that is not clearly faster changes nothing."""
    work = tmp_path / "work"
    make_tree(work / "orig")
    planner, ctx = AnalysisPlanner(), PlanContext(work / "orig")
    first = planner.propose(LoopTarget("k.c", FIRST, FIRST + 2, "step"), ctx, [])
    second = planner.propose(LoopTarget("k.c", SECOND, SECOND + 2, "step"), ctx, [])
    loops = [accepted(LoopTarget("k.c", FIRST, FIRST + 2, "step"), first, passed(work, 2.15)),
             accepted(LoopTarget("k.c", SECOND, SECOND + 2, "step"), second, passed(work, 1.06))]
    both_speed = {"value": 1.66}
    trees = []

    def evidence(w: Path, tree: str) -> Evidence:
        at = pragma_lines(w / tree)
        trees.append(at)
        return passed(w / tree, both_speed["value"] if at == [FIRST, SECOND] else 2.15 if at == [FIRST] else 1.06)

    lab, logged = TreeLab(evidence), []
    result = compose(lab, work, Config(), Baseline(1.0), loops, lambda kind, **data: logged.append(data))
    assert trees == [[FIRST, SECOND], [FIRST]]
    assert result.ok and result.kept == [FIRST_ID] and result.check.timing.speedup == 2.15
    assert [d.to_dict() for d in result.dropped] == [
        {"loop": SECOND_ID, "reason": "the whole program ran faster without it: 2.15x without, 1.66x with"}]
    assert pragma_lines(work / "final") == [FIRST] and logged[1]["without"] == SECOND_ID
    # both together nearly as fast as the best alone: no trial; and a trial that does not pay keeps both
    both_speed["value"] = 2.0
    trees.clear()
    result = compose(lab, work, Config(), Baseline(1.0), loops, no_log)
    assert trees == [[FIRST, SECOND]] and result.kept == [FIRST_ID, SECOND_ID]
    loops[0].accepted.check = passed(work, 2.5)  # the best alone was timed higher than the trial gives now
    both_speed["value"] = 2.1
    trees.clear()
    result = compose(lab, work, Config(), Baseline(1.0), loops, no_log)
    assert trees == [[FIRST, SECOND], [FIRST]] and result.kept == [FIRST_ID, SECOND_ID]
    assert result.check.timing.speedup == 2.1 and pragma_lines(work / "final") == [FIRST, SECOND]


def test_a_race_in_the_composed_program_revokes_the_loop_it_falls_in(tmp_path: Path):
    """Each sweep passed alone; together a race shows up in the second sweep's lines: that acceptance is withdrawn
    (not merely the latest change dropped), the first sweep's change stands."""
    work = tmp_path / "work"
    make_tree(work / "orig")
    ctx = PlanContext(work / "orig")
    first = AnalysisPlanner().propose(LoopTarget("k.c", FIRST, FIRST + 2, "step"), ctx, [])
    second = AnalysisPlanner().propose(LoopTarget("k.c", SECOND, SECOND + 2, "step"), ctx, [])
    # listed second-first, so dropping "the latest" would wrongly drop the first sweep
    loops = [accepted(LoopTarget("k.c", SECOND, SECOND + 2, "step"), second, passed(work, 1.3)),
             accepted(LoopTarget("k.c", FIRST, FIRST + 2, "step"), first, passed(work, 1.3))]

    def evidence(w: Path, tree: str) -> Evidence:
        # in the tree with both pragmas, original line SECOND + 2 sits two lines lower
        return raced(w / tree, SECOND + 2 + 2) if pragma_lines(w / tree) == [FIRST, SECOND] else passed(w / tree, 1.3)

    logged = []
    result = compose(TreeLab(evidence), work, Config(), Baseline(1.0), loops, lambda kind, **d: logged.append(kind))
    assert result.ok and result.kept == [FIRST_ID] and list(result.revoked) == [SECOND_ID]
    assert result.dropped[0].reason.startswith("acceptance revoked: the composed program races at k.c:17 on B")
    assert "revoke" in logged and pragma_lines(work / "final") == [FIRST]


def stand_in_fusion() -> Proposal:
    """A rewrite of loop 7 whose edit replaces lines 7-15 (a fusion with the loops after it, as far as compose sees):
    it covers loop 13."""
    lines = STENCIL.splitlines()
    return Proposal("k.c", FIRST, FIRST + 2, "rewrite", "#pragma omp parallel for", [],
                    [Edit("k.c", FIRST, SECOND + 2, "\n".join(["        #pragma omp parallel for",
                                                                 *lines[FIRST - 1: SECOND + 2]]) + "\n")],
                    locality="fusion")


def test_compose_keeps_a_rewrite_and_drops_the_loop_whose_lines_it_replaced(tmp_path: Path):
    """A change that rewrites lines (a fusion of loop 7 with the loops after it, here a stand-in edit over lines 7-15)
    covers the loop starting on them (13): that loop's own accepted pragma cannot be applied on top of the rewrite,
    so compose keeps the rewrite alone instead of failing on overlapping edits and dropping it."""
    work = tmp_path / "work"
    make_tree(work / "orig")
    rewrite = stand_in_fusion()
    second = AnalysisPlanner().propose(LoopTarget("k.c", SECOND, SECOND + 2, "step"), PlanContext(work / "orig"), [])
    loops = [accepted(LoopTarget("k.c", SECOND, SECOND + 2, "step"), second),
             accepted(LoopTarget("k.c", FIRST, FIRST + 2, "step"), rewrite)]
    assert covered_by_groups(loops) == {SECOND_ID: FIRST_ID}
    result = compose(TreeLab(lambda w, tree: passed(w / tree, 1.5)), work, Config(), Baseline(1.0), loops, no_log)
    assert result.ok and result.kept == [FIRST_ID] and result.covered == {SECOND_ID: FIRST_ID}
    assert pragma_lines(work / "final") == [FIRST]


def test_compose_swaps_a_fusion_for_the_loops_own_changes_when_that_program_is_faster(tmp_path: Path):
    """2mm: the first product fused with the second won over the first product's own change alone (here 1.5x
    against 1.3x), which shut the second product's own change out. Compose also times the set with the first loop's
    best attempt that covers no other loop plus the second loop's change, and keeps that one when it is faster
    (by compose.TRIAL_GAIN); the loop's record then names the attempt in the final program."""
    work = tmp_path / "work"
    make_tree(work / "orig")
    fusion = stand_in_fusion()
    first_target, second_target = LoopTarget("k.c", FIRST, FIRST + 2, "step"), LoopTarget("k.c", SECOND, SECOND + 2,
                                                                                           "step")
    own = AnalysisPlanner().propose(first_target, PlanContext(work / "orig"), [])
    second = AnalysisPlanner().propose(second_target, PlanContext(work / "orig"), [])

    def loops() -> list[LoopResult]:
        tried = [Attempt(1, own, passed(work, 1.3), Verdict("accept", Feedback("accepted"))),
                 Attempt(2, fusion, passed(work, 1.5), Verdict("accept", Feedback("accepted")))]
        return [LoopResult(first_target, "accepted", "", tried, tried[1]), accepted(second_target, second,
                                                                                    passed(work, 1.3))]

    def lab(both: float) -> TreeLab:
        return TreeLab(lambda w, tree: passed(w / tree, both if pragma_lines(w / tree) == [FIRST, SECOND] else 1.5))

    logged = []
    result = compose(lab(2.5), work, Config(), Baseline(1.0), loops(), lambda kind, **d: logged.append(d))
    assert result.ok and set(result.kept) == {FIRST_ID, SECOND_ID} and result.swapped == {FIRST_ID: 1}
    assert result.check.speedup == 2.5 and result.covered == {}
    assert pragma_lines(work / "final") == [FIRST, SECOND]
    swap = next(d for d in logged if d.get("swapped"))
    assert swap["swapped"] == {FIRST_ID: 1} and swap["speedup"] == 2.5 and swap["instead"] == 1.5
    assert set(swap["loops"]) == {FIRST_ID, SECOND_ID} and swap["stage"] == "passed"
    assert swap["reason"] == (f"{FIRST_ID} attempt 1 in place of a change that shut other loops' changes out: "
                              "2.50x against 1.50x")
    # the live progress and the step-by-step review both show it
    import io
    import json

    from hpcagent.agent.review.steps import RunView
    from hpcagent.agent.run.progress import LiveProgress

    stream = io.StringIO()
    LiveProgress(stream)({"kind": "compose", **swap})
    assert swap["reason"] in stream.getvalue()
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{}")
    (run / "transcript.jsonl").write_text(json.dumps({"kind": "compose", "seq": 1, "ts": 0.0, **swap}) + "\n")
    (step,) = RunView(run).steps
    assert swap["reason"] in step.sections[0].body
    # not faster by the margin: the fusion stays, the second loop covered by it
    result = compose(lab(1.52), work, Config(), Baseline(1.0), loops(), no_log)
    assert result.ok and result.kept == [FIRST_ID] and result.swapped == {} and result.covered == {SECOND_ID: FIRST_ID}
    assert pragma_lines(work / "final") == [FIRST]
    assert (work / "final" / "k.c").read_text().count("#pragma omp parallel for") == 1
