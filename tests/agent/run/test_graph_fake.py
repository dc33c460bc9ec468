"""The whole run (discover, baseline, plan, apply, check, critique, compose, report) with the scripted Lab: the real
planner, critic, patcher, SQLite checkpoints and report, no container engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import DATA

from hpcagent.agent.config import load_config
from hpcagent.agent.run.fake_lab import FakeLab, added_lines
from hpcagent.agent.run.runner import exit_code, start
from hpcagent.agent.run.transcript import read_transcript
from hpcagent.records import Composed, LoopResult

MAP, SUM, RECURRENCE = "app.c:8", "app.c:19", "app.c:26"
OUTCOMES = [{"match": "reduction(+:s)", "stage": "timing", "speedup": 1.0},   # the sum: never faster
            {"match": "#pragma omp parallel for", "stage": "passed", "speedup": 1.7}]


def run(tmp_path: Path, outcomes: list[dict], **overrides) -> tuple[dict, Path, FakeLab]:
    repo = tmp_path / "mini"
    shutil.copytree(DATA / "projects" / "mini", repo)
    cfg, origin = load_config(repo, None, {"budget.explore": 0, **overrides})
    lab = FakeLab(outcomes)
    state, run_dir = start(repo, cfg, origin, tmp_path / "runs", run_id="r", lab=lab)
    return state, run_dir, lab


def test_plan_check_critique_compose_with_the_fake_lab(tmp_path: Path):
    state, run_dir, lab = run(tmp_path, OUTCOMES)
    loops = {lp.loop_id: lp for lp in map(LoopResult.from_dict, state["loops"])}
    assert loops[MAP].status == "accepted" and loops[MAP].speedup == 1.7
    assert loops[MAP].accepted.proposal.pragma == "#pragma omp parallel for"
    # the sum is tried with its reduction, judged not faster, and given up after its other candidates
    assert loops[SUM].status == "given_up" and "reduction(+:s)" in loops[SUM].attempts[0].proposal.pragma
    assert {a.verdict.feedback.kind for a in loops[SUM].attempts} == {"not_faster"}
    # the recurrence never reaches the lab: nothing to propose
    assert RECURRENCE not in loops or not loops[RECURRENCE].attempts
    assert all("s[" not in line for _, lines in lab.calls for line in lines)
    composed = Composed.from_dict(state["composed"])
    assert composed.ok and MAP in composed.kept and SUM not in composed.kept
    assert composed.check.speedup == 1.7 and exit_code(state) == 0
    assert lab.calls[-1][0] == "final" and {tree for tree, _ in lab.calls[:-1]} == {"cand"}
    patch = (run_dir / "patch.diff").read_text()
    assert "+    #pragma omp parallel for\n" in patch and "reduction" not in patch
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["whole_program"]["speedup"] == 1.7
    assert {lp["loop"]: lp["status"] for lp in summary["loops"]}[SUM] == "given_up"
    events = read_transcript(run_dir / "transcript.jsonl")
    checks = [e for e in events if e["kind"] == "check"]
    assert checks and all(e["stage"] in ("passed", "timing") for e in checks)
    assert [e["phase"] for e in events if e["kind"] == "phase"] == ["discover", "baseline", "compose", "report"]
    report = (run_dir / "report.md").read_text()
    assert f"**{summary['accepted']} change(s) accepted.** Whole program at 2 threads: **1.70x**" in report


def test_a_race_and_a_wrong_output_are_never_accepted(tmp_path: Path):
    outcomes = [{"match": "reduction(+:s)", "stage": "output"},
                {"match": "#pragma omp", "stage": "race", "variable": "v"}]
    state, run_dir, _ = run(tmp_path, outcomes)
    loops = {lp.loop_id: lp for lp in map(LoopResult.from_dict, state["loops"])}
    assert not any(lp.status == "accepted" for lp in loops.values())
    assert loops[SUM].attempts[0].verdict.feedback.kind == "wrong_output"
    assert {a.verdict.feedback.kind for a in loops[MAP].attempts} == {"race"}
    assert loops[MAP].attempts[0].check.race.races[0].variable == "v"
    assert "race: app.c:9 v (write-write with line 9)" in (run_dir / "report.md").read_text()
    assert exit_code(state) == 3 and (run_dir / "patch.diff").read_text() == ""


def test_added_lines_names_what_a_change_inserted(tmp_path: Path):
    (tmp_path / "orig").mkdir()
    (tmp_path / "orig" / "k.c").write_text("int a;\nint b;\n")
    (tmp_path / "cand").mkdir()
    (tmp_path / "cand" / "k.c").write_text("int a;\n#pragma omp parallel for\nint b;\n")
    assert added_lines(tmp_path / "orig", tmp_path / "cand") == [("k.c", 2, "#pragma omp parallel for")]
