"""Tentative changes (a correct gain within the noise alone): which failed attempts rule one out, and what becomes of
those the tentative set's timing left within the noise (each loop's own time decides, agent/run/loop_times.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import DATA
from test_graph_fake import MAP, SUM, TENTATIVE, run

from hpcagent.agent.config import load_config
from hpcagent.agent.run.fake_lab import FakeLab
from hpcagent.agent.run.runner import start
from hpcagent.records import Composed, LoopResult


def test_a_race_on_another_loop_of_the_nest_leaves_a_small_gain_tentative_but_one_on_the_same_loop_does_not():
    from hpcagent.agent.run.nodes import tentative_attempt
    from hpcagent.evidence import Evidence, Timing
    from hpcagent.records import Attempt, Feedback, Proposal, Verdict

    cfg, _ = load_config(DATA / "projects" / "mini", None, {})
    give_up = Verdict("give_up", Feedback("within_noise"))

    def attempt(n: int, line: int, stage: str, kind: str = "pragma", end: int = 0) -> Attempt:
        timing = Timing(speedup=1.2, speedup_min=0.9, verdict="within noise", reps=5) if stage == "timing" else None
        p = Proposal("nw.cpp", line, end or line + 10, kind=kind, pragma="#pragma omp parallel for")  # type: ignore[arg-type]
        return Attempt(n, p, Evidence(stage=stage, timing=timing), give_up)

    outer_race, inner_gain = attempt(1, 110, "race"), attempt(2, 116, "timing")
    assert tentative_attempt([outer_race, inner_gain], cfg) is inner_gain
    assert tentative_attempt([attempt(1, 116, "output"), inner_gain], cfg) is None  # the same loop gave a wrong result
    assert tentative_attempt([attempt(1, 100, "race", "rewrite", 130), inner_gain], cfg) is None  # a rewrite over it
    assert tentative_attempt([attempt(1, 110, "build"), inner_gain], cfg) is inner_gain  # a failed build is no evidence
    grouped = attempt(1, 100, "race")
    grouped.proposal.members = ["nw.cpp:116"]
    assert tentative_attempt([grouped, inner_gain], cfg) is None


def test_tentative_changes_dropped_for_the_noise_alone_are_judged_by_their_loops_own_time(tmp_path: Path):
    """The tentative set passed every check but timed within the noise: each change joins the small loops' set with
    its loop timer; the one whose loop is faster on its own beyond the noise is accepted, the other stays given up."""
    outcomes = [{**TENTATIVE[0], "stage": "timing", "speedup": 1.04}, *TENTATIVE[1:],
                {"match": "", "tree": "rest", "stage": "timing", "speedup": 1.03},
                {"match": "", "tree": "final", "stage": "timing", "speedup": 1.05}]
    repo = tmp_path / "mini"
    shutil.copytree(DATA / "projects" / "mini", repo)
    cfg, origin = load_config(repo, None, {"budget.explore": 0})
    lab = FakeLab(outcomes, loop_speedups={MAP: 1.9, SUM: 1.05})
    state, run_dir = start(repo, cfg, origin, tmp_path / "runs", run_id="r", lab=lab)
    composed = Composed.from_dict(state["composed"])
    assert MAP in composed.kept and SUM not in composed.kept and composed.loop_times[MAP]["speedup"] == 1.9
    assert [d.loop for d in composed.dropped if d.loop in (MAP, SUM)] == [SUM]  # MAP no longer listed as dropped
    loops = {lp.loop_id: lp for lp in map(LoopResult.from_dict, state["loops"])}
    assert list(loops).count(MAP) == 1 and loops[MAP].status == "accepted"
    assert loops[MAP].reason.startswith("tentative alone, its median a gain within the noise; not faster beyond")
    assert loops[MAP].accepted.number == len(loops[MAP].attempts) > 1  # its own attempts, then the set's
    assert loops[SUM].status == "given_up" and "its own time 1.05x" in loops[SUM].reason
    # the tentative set (final), then the set with the loop timers (rest, timed copies), then the final program
    assert [tree for tree, _ in lab.calls if tree != "cand"] == ["final", "rest", "timed-set", "final"]
    final = (run_dir / "work" / "final" / "app.c").read_text()
    assert "hpcagent_" not in final and "#pragma omp parallel for" in final
    summary = json.loads((run_dir / "summary.json").read_text())
    rows = {lp["loop"]: lp for lp in summary["loops"]}
    assert rows[MAP]["status"] == "accepted" and rows[MAP]["own_time"]["speedup"] == 1.9
    assert rows[SUM]["status"] == "given_up"
    assert "#pragma omp parallel for" in (run_dir / "patch.diff").read_text()
    report = (run_dir / "report.md").read_text()
    assert f"| `{MAP}` | transform | n/a | accepted (own time) | 1.90x" in report


def test_without_loop_timers_the_dropped_tentative_changes_are_not_tried_again(tmp_path: Path):
    outcomes = [{**TENTATIVE[0], "stage": "timing", "speedup": 1.04}, *TENTATIVE[1:]]
    state, _, lab = run(tmp_path, outcomes, **{"budget.min_loop_speedup": 0})
    assert Composed.from_dict(state["composed"]).kept == []
    assert not [tree for tree, _ in lab.calls if tree in ("rest", "timed-set")]
