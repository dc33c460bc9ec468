"""The whole run (discover, baseline, plan, apply, check, critique, compose, report) with the scripted Lab: the real
planner, critic, patcher, SQLite checkpoints and report, no container engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA

from hpcagent.agent.config import load_config
from hpcagent.agent.run.fake_lab import FakeLab
from hpcagent.agent.run.runner import exit_code, start
from hpcagent.agent.run.transcript import read_transcript
from hpcagent.records import Composed, LoopResult
from hpcagent.tools.patch import added_lines

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


RECURRENT = """#include <stdio.h>
#define N 4000
double in[N], out[N], vec[N];
int main(void) {
    for (int i = 1; i < N - 1; i++)
        out[i] = (in[i - 1] + in[i] + in[i + 1]) / 3.0;
    for (int k = 1; k < N; k++)
        vec[k] = 0.5 * vec[k] + 0.5 * vec[k - 1];
    printf("%f %f\\n", out[7], vec[N - 1]);
    return 0;
}
"""


def test_a_proposal_against_a_proven_dependence_never_reaches_the_sandbox(tmp_path: Path):
    """What a weak model did: `parallel for` on every loop, the recurrence included. The stencil runs in the lab;
    the recurrence is refused by the analysis with its dependence named, and the lab never sees it."""
    from hpcagent.agent.config import Config
    from hpcagent.agent.planners.scripted import ScriptedPlanner
    from hpcagent.agent.run import runner

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "s.c").write_text(RECURRENT)
    cfg = Config()
    cfg.run.command = "./s"
    cfg.budget.explore = 0
    cfg.agent.planner = "scripted:weak-model"  # the loops the analysis has nothing for are tried too
    lab = FakeLab([{"match": "#pragma omp", "stage": "passed", "speedup": 1.5}])  # the lab would pass anything
    planner = ScriptedPlanner({"*": [{"pragma": "#pragma omp parallel for"}, {"pragma": "#pragma omp for simd"}]})
    original = runner.make_planner
    runner.make_planner = lambda spec, c, t: planner
    try:
        state, run_dir = start(repo, cfg, "test", tmp_path / "runs", run_id="v", lab=lab)
    finally:
        runner.make_planner = original
    loops = {lp.loop_id: lp for lp in map(LoopResult.from_dict, state["loops"])}
    assert loops["s.c:5"].status == "accepted"
    rec = loops["s.c:7"]
    assert rec.status == "given_up" and [a.check.stage for a in rec.attempts] == ["veto", "veto"]
    feedback = rec.attempts[0].verdict.feedback
    assert feedback.kind == "dependence" and feedback.data["vetoed"]
    assert "vec[k] (line 8) vs vec[k - 1] (line 8)" in feedback.evidence and "distance 1" in feedback.evidence
    assert len(lab.calls) == 2 and all(tree in ("cand", "final") for tree, _ in lab.calls)  # the stencil, compose
    events = read_transcript(run_dir / "transcript.jsonl")
    assert [e["vetoed"] for e in events if e["kind"] == "veto"] == ["s.c:7", "s.c:7"]
    patch = (run_dir / "patch.diff").read_text()
    assert patch.count("#pragma omp") == 1 and "+    #pragma omp parallel for\n     for (int i = 1" in patch


def scripted_run(tmp_path: Path, source: str, script: dict, outcomes: list[dict]) -> tuple[dict, Path, FakeLab]:
    """A run of `source` with a scripted planner (as a model would answer) and scripted evidence."""
    from hpcagent.agent.config import Config
    from hpcagent.agent.planners.scripted import ScriptedPlanner
    from hpcagent.agent.run import runner

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "s.c").write_text(source)
    cfg = Config()
    cfg.run.command = "./s"
    lab = FakeLab(outcomes)
    original = runner.make_planner
    runner.make_planner = lambda spec, c, t: ScriptedPlanner(script)
    try:
        state, run_dir = start(repo, cfg, "test", tmp_path / "runs", run_id="v", lab=lab)
    finally:
        runner.make_planner = original
    return state, run_dir, lab


def test_a_later_race_on_the_identical_change_revokes_its_acceptance(tmp_path: Path):
    """As a weak model's run went: a `parallel for` passed one race check (1.29x) and was accepted; the identical
    pragma, tried again for more speed, raced. The first acceptance must not stand."""
    script = {"s.c:5": [{"pragma": "#pragma omp parallel for"}] * 2, "s.c:7": []}
    outcomes = [{"match": "#pragma omp parallel for", "stage": "passed", "speedup": 1.29, "times": 1},
                {"match": "#pragma omp parallel for", "stage": "race", "variable": "out"}]
    state, run_dir, _ = scripted_run(tmp_path, RECURRENT, script, outcomes)
    (loop,) = [lp for lp in map(LoopResult.from_dict, state["loops"]) if lp.loop_id == "s.c:5"]
    first, second = loop.attempts
    assert first.verdict.action == "accept" and second.check.stage == "race"
    assert loop.status == "revoked" and loop.accepted is None and not first.accepted
    assert first.revoked.startswith("attempt 2 on s.c:5, the same change, failed at race")
    assert Composed.from_dict(state["composed"]).kept == [] and (run_dir / "patch.diff").read_text() == ""
    events = read_transcript(run_dir / "transcript.jsonl")
    assert [(e["loop"], e["attempts"]) for e in events if e["kind"] == "revoke"] == [("s.c:5", [1])]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert {lp["loop"]: lp["status"] for lp in summary["loops"]}["s.c:5"] == "revoked"
    report = (run_dir / "report.md").read_text()
    assert "Outcome: acceptance revoked: attempt 2 on s.c:5" in report
    assert "- **revoked**: attempt 2 on s.c:5, the same change, failed at race" in report


def test_a_race_in_the_composed_program_revokes_the_loop_result(tmp_path: Path):
    outcomes = [{"match": "#pragma omp", "tree": "final", "stage": "race", "variable": "out"},
                {"match": "#pragma omp", "stage": "passed", "speedup": 1.5}]
    state, run_dir, _ = scripted_run(tmp_path, RECURRENT, {"s.c:5": [{"pragma": "#pragma omp parallel for"}]},
                                     outcomes)
    (loop,) = [lp for lp in map(LoopResult.from_dict, state["loops"]) if lp.loop_id == "s.c:5"]
    assert loop.status == "revoked" and loop.attempts[0].revoked.startswith("the composed program races at s.c:")
    composed = Composed.from_dict(state["composed"])
    assert not composed.ok and list(composed.revoked) == ["s.c:5"] and exit_code(state) == 3
    summary = json.loads((run_dir / "summary.json").read_text())
    assert {lp["loop"]: lp["status"] for lp in summary["loops"]}["s.c:5"] == "revoked"


@pytest.mark.parametrize(("final", "kept"), [(1.08, True), (1.01, False), (0.8, False)])
def test_one_accepted_change_timed_again_within_the_noise_is_kept_but_slower_drops(tmp_path: Path, final, kept):
    """The final program is exactly the one accepted change: it is checked again (a race the first runs missed
    would still revoke it). A second timing within the noise whose median still shows the gain (at least
    budget.min_speedup, 1.02) does not undo the first, beyond-noise verdict; one under it (the gain did not
    reproduce) or a slower one does."""
    outcomes = [{"match": "#pragma omp", "tree": "final", "stage": "timing", "speedup": final},
                {"match": "#pragma omp", "stage": "passed", "speedup": 1.5}]
    state, run_dir, lab = scripted_run(tmp_path, RECURRENT, {"s.c:5": [{"pragma": "#pragma omp parallel for"}]},
                                       outcomes)
    composed = Composed.from_dict(state["composed"])
    assert [tree for tree, _ in lab.calls] == ["cand", "final"]
    if kept:
        assert composed.ok and composed.kept == ["s.c:5"] and composed.check.timing.speedup == final
        assert "#pragma omp parallel for" in (run_dir / "patch.diff").read_text()
        assert json.loads((run_dir / "summary.json").read_text())["whole_program"]["within_noise"]
        assert "This final timing of the whole program was within the noise" in (run_dir / "report.md").read_text()
    else:
        assert not composed.ok and composed.kept == [] and exit_code(state) == 3
        assert (run_dir / "patch.diff").read_text() == ""


def test_schedule_runtime_copy_and_race_output_comparison(tmp_path: Path):
    from hpcagent.agent.config import Config
    from hpcagent.agent.run.lab import runtime_schedules
    from hpcagent.agent.run.outputs import race_output_differs
    from hpcagent.evidence import Baseline, Build, RaceCheck, RaceRun

    (tmp_path / "orig").mkdir()
    (tmp_path / "orig" / "k.c").write_text("void f(void) {\n  for (;;) {}\n  for (;;) {}\n  for (;;)\n"
                                           "    for (;;) {}\n}\n")
    (tmp_path / "cand").mkdir()
    (tmp_path / "cand" / "k.c").write_text("void f(void) {\n  #pragma omp parallel for reduction(+:s)\n  for (;;) {}\n"
                                           "  #pragma omp for schedule(static)\n  for (;;) {}\n"
                                           "  #pragma omp parallel for\n  for (;;)\n"
                                           "    #pragma omp simd reduction(+:t)\n    for (;;) {}\n}\n")
    assert runtime_schedules(tmp_path / "orig", tmp_path / "cand", tmp_path / "sched")
    lines = (tmp_path / "sched" / "k.c").read_text().splitlines()
    assert lines[1] == "  #pragma omp parallel for reduction(+:s) schedule(runtime)"
    assert lines[3] == "  #pragma omp for schedule(static)"     # a schedule the change chose is left as it is
    assert lines[5] == "  #pragma omp parallel for schedule(runtime)"
    assert lines[7] == "    #pragma omp simd reduction(+:t)"  # simd alone takes no schedule clause
    assert not runtime_schedules(tmp_path / "orig", tmp_path / "orig", tmp_path / "none")
    assert not (tmp_path / "none").exists()
    base = Baseline(1.0, race_runs=[RaceRun(threads=2, stdout_tail="sum 10.000000\n")])
    same = RaceCheck(Build(ok=True), [RaceRun(threads=1, stdout_tail="sum 10.000000\n"),
                                      RaceRun(threads=3, stdout_tail="sum 10.0000000001\n")])
    assert race_output_differs(same, base, Config()) is None
    wrong = RaceCheck(Build(ok=True), [RaceRun(threads=3, schedule="static,1", stdout_tail="sum 9.5\n")])
    assert race_output_differs(wrong, base, Config()).startswith(
        "the race-check input's output at 3 thread(s), schedule static,1 differs from the original's")
    # a program that prints where it was built (CoMD prints its compiler's path): each copy's own path reads as one,
    # the perturbed-schedule copy's too; any other path still counts
    base = Baseline(1.0, race_runs=[RaceRun(threads=2, stdout_tail="CC: /w/race0/.cc/gcc\nsum 10\n")])
    printed = RaceCheck(Build(ok=True), [RaceRun(threads=2, stdout_tail="CC: /w/cand/.cc/gcc\nsum 10\n"),
                                         RaceRun(threads=2, schedule="dynamic,1",
                                                 stdout_tail="CC: /w/cand-sched/.cc/gcc\nsum 10\n"),
                                         # (a file the candidate's own race build generated, copied with it)
                                         RaceRun(threads=3, schedule="static,1",
                                                 stdout_tail="CC: /w/cand/.cc/gcc\nsum 10\n")])
    assert race_output_differs(printed, base, Config(), ("/w/race0", "/w/cand")) is None
    assert "line 1" in race_output_differs(printed, base, Config())
    elsewhere = RaceCheck(Build(ok=True), [RaceRun(threads=2, stdout_tail="CC: /w/other/.cc/gcc\nsum 10\n")])
    assert "line 1" in race_output_differs(elsewhere, base, Config(), ("/w/race0", "/w/cand"))


def test_a_candidate_far_slower_at_one_thread_stops_its_race_check_with_a_timing_verdict():
    from hpcagent.agent.critics.rules import RuleCritic
    from hpcagent.agent.run.lab import SLOW_AT_ONE, far_slower
    from hpcagent.evidence import Baseline, Build, Evidence, RaceCheck, RaceRun, Timing
    from hpcagent.records import LoopTarget, Proposal

    base = Baseline(2.6, race_runs=[RaceRun(threads=2, seconds=0.84), RaceRun(threads=3, seconds=0.86)])
    # kmeans on the Rodinia dev set: a team forked on every call of the 34-feature distance loop
    slow = RaceCheck(Build(ok=True), [RaceRun(threads=1, seconds=9.4)])
    why = far_slower(slow, base)
    assert why.startswith("far slower: its race-check run at 1 thread took 9.4 s, 11x the original's 0.84 s")
    assert far_slower(RaceCheck(Build(ok=True), [RaceRun(threads=1, seconds=0.9)]), base) is None
    # many times slower but short runs: finishing the check costs little, so it goes on
    tiny = Baseline(0.1, race_runs=[RaceRun(threads=2, seconds=0.02)])
    assert far_slower(RaceCheck(Build(ok=True), [RaceRun(threads=1, seconds=0.02 * SLOW_AT_ONE + 1)]), tiny) is None
    # a one-thread run that failed is the race check's business, not a timing
    assert far_slower(RaceCheck(Build(ok=True), [RaceRun(threads=1, seconds=30, ok=False)]), base) is None
    assert far_slower(slow, None) is None
    ev = Evidence(stage="timing", error=why, race=slow, timing=Timing(error=why))
    verdict = RuleCritic().review(LoopTarget("k.c", 3, 5, "f"), Proposal("k.c", 3, 5, pragma="#pragma omp parallel for"),
                                  ev, [])
    assert verdict.feedback.kind == "slower" and verdict.feedback.evidence == why
    assert verdict.feedback.data == {"next_candidate": True}


def test_a_far_slower_candidate_gets_no_further_race_runs_and_no_perturbed_schedules(tmp_path: Path, monkeypatch):
    from hpcagent.agent.run import lab
    from hpcagent.evidence import Baseline, Build, RaceCheck, RaceRun

    calls = []

    def race_check(sandbox, work, spec, command, threads=(2,), **kw):  # the 1-thread run is 11x the original's
        calls.append(threads)
        return RaceCheck(Build(ok=True), [RaceRun(threads=t, seconds=9.4) for t in threads], ran=True, clean=True)

    monkeypatch.setattr(lab, "race_check", race_check)
    monkeypatch.setattr(lab, "race_spec", lambda cfg, tree: None)
    monkeypatch.setattr(lab, "runtime_schedules", lambda *a: calls.append("schedules") or True)
    cfg, _ = load_config(DATA / "projects" / "mini", None, {})
    base = Baseline(2.6, race_runs=[RaceRun(threads=2, seconds=0.84)])
    race = lab.race_evidence(None, tmp_path, "cand", cfg, 60.0, base)
    assert calls == [(1,)] and [r.threads for r in race.runs] == [1]
    calls.clear()
    lab.race_evidence(None, tmp_path, "cand", cfg, 60.0, Baseline(2.6, race_runs=[RaceRun(threads=2, seconds=9.0)]))
    assert calls == [(1,), (2, 3, 4), "schedules", (2, 3, 4)]  # not far slower: every count and schedule


TENTATIVE = [{"match": "#pragma omp parallel for", "tree": "final", "stage": "passed", "speedup": 1.16},
             {"match": "reduction(+:s)", "tree": "cand", "stage": "timing", "speedup": 1.06},
             {"match": "#pragma omp parallel for", "tree": "cand", "stage": "timing", "speedup": 1.09}]


def test_small_gains_within_the_noise_alone_are_accepted_together_when_the_set_is_faster(tmp_path: Path):
    state, run_dir, lab = run(tmp_path, TENTATIVE)
    loops = {lp.loop_id: lp for lp in map(LoopResult.from_dict, state["loops"])}
    for loop, gain in ((MAP, 1.09), (SUM, 1.06)):
        assert loops[loop].status == "tentative" and loops[loop].speedup == gain
        assert loops[loop].reason.startswith(f"tentative: attempt {loops[loop].accepted.number} is correct")
    composed = Composed.from_dict(state["composed"])
    tentative = sorted(lp.loop_id for lp in loops.values() if lp.status == "tentative")
    assert {MAP, SUM} <= set(tentative) and sorted(composed.kept) == sorted(composed.confirmed) == tentative
    assert composed.together.timing.speedup == 1.16 and composed.together.timing.beyond_noise
    # the set was timed on its own first, then composed like accepted changes
    finals = [lines for tree, lines in lab.calls if tree == "final"]
    assert len(finals) == 2 and all(len(lines) == len(tentative) for lines in finals)
    summary = json.loads((run_dir / "summary.json").read_text())
    rows = {lp["loop"]: lp for lp in summary["loops"]}
    assert rows[MAP]["status"] == rows[SUM]["status"] == "accepted" and rows[MAP]["together"]
    report = (run_dir / "report.md").read_text()
    assert f"{len(tentative)} of them accepted together, not alone" in report and "1.16x faster" in report
    assert "reduction(+:s)" in (run_dir / "patch.diff").read_text()


def test_small_gains_are_dropped_together_when_the_set_is_not_faster_beyond_the_noise(tmp_path: Path):
    outcomes = [{**TENTATIVE[0], "stage": "timing", "speedup": 1.04}, *TENTATIVE[1:]]
    state, run_dir, _ = run(tmp_path, outcomes)
    composed = Composed.from_dict(state["composed"])
    assert composed.kept == [] and composed.confirmed == []
    why = {d.loop: d.reason for d in composed.dropped}
    others = len(why) - 1
    assert {MAP, SUM} <= set(why) and others >= 1
    assert all(f"within the noise alone, and with the {others} other tentative change(s) not accepted: 1.04x"
               in r for r in why.values())
    summary = json.loads((run_dir / "summary.json").read_text())
    assert {lp["loop"]: lp["status"] for lp in summary["loops"]}[MAP] == "given_up"
    assert summary["accepted"] == 0 and (run_dir / "patch.diff").read_text() == ""
    assert "Dropped when composing: `app.c:8`: within the noise alone" in (run_dir / "report.md").read_text()


def test_tentative_off_drops_each_small_gain_alone(tmp_path: Path):
    state, _, lab = run(tmp_path, TENTATIVE, **{"budget.tentative": False})
    assert {lp["status"] for lp in state["loops"]} <= {"given_up"}
    assert not [tree for tree, _ in lab.calls if tree == "final"]
