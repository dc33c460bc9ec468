"""The remainder (agent/run/remainder.py): loops each too small to clear min_speedup alone, tried as one set on top
of the accepted changes and timed against the program with them. The choice of the set on its own, the whole run
with the scripted Lab (a set accepted, a set that fails, the option off), and the real run in the Docker sandbox."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import DATA

from hpcagent.agent.config import load_config
from hpcagent.agent.planners.analysis import TreeAnalysis
from hpcagent.agent.review.steps import RunView
from hpcagent.agent.run.fake_lab import FakeLab
from hpcagent.agent.run.remainder import choose, racing_small, small_targets
from hpcagent.agent.run.runner import exit_code, start
from hpcagent.agent.run.transcript import read_transcript
from hpcagent.evidence import Build, Evidence, RaceCheck, RaceSite
from hpcagent.records import Attempt, Composed, Edit, Feedback, LoopResult, LoopTarget, Verdict

PROJECT = DATA / "projects" / "small_rest"
HEAVY = LoopTarget("app.c", 8, 13, "heavy", 1, 0.88, verdict="parallel", proposals=2)
SMALL = [LoopTarget("app.c", line, line + 4, "main", 1, 0.03, verdict="parallel", proposals=1)
         for line in (26, 32, 38, 44)]
# samples on a line of each loop: the hot loop 88%, the four small ones 3% each, main's sum 0% (under min_share)
PROFILE = {"stacks": [[88, ["app.c:11", "app.c:25"]], [3, ["app.c:29"]], [3, ["app.c:35"]], [3, ["app.c:41"]],
                      [3, ["app.c:47"]]], "functions": {"heavy": 0.88, "main": 0.12}, "lines": {}, "samples": 100}


def kept(t: LoopTarget) -> LoopResult:
    change = TreeAnalysis(PROJECT).reports("app.c")
    p = next(r for r in change if r.line == t.line).candidates[0]
    a = Attempt(1, p, Evidence(stage="passed"), Verdict("accept", Feedback("accepted")))
    return LoopResult(t, "accepted", "", [a], a)


def test_the_set_is_the_small_loops_outside_the_kept_ones_when_together_they_can_clear_the_bar():
    reports = TreeAnalysis(PROJECT).reports
    inner = LoopTarget("app.c", 10, 11, "heavy", 2, 0.02, verdict="parallel", proposals=1)
    chosen, why = choose([*SMALL, inner], [kept(HEAVY)], reports, speedup=1.8, threads=2, min_speedup=1.05)
    # the loop inside the kept one is left out (a parallel region inside a parallel loop)
    assert [t.line for t, _ in chosen] == [26, 32, 38, 44]
    assert all(p.pragma == "#pragma omp parallel for" and p.proof == "static" for _, p in chosen)
    # 12% of the original is 21.6% of a program made 1.8x faster: at most 1/(1 - 0.108) = 1.121x
    assert why == "4 loop(s) each too small alone, together 21.6% of the program with the accepted changes: up to 1.121x"
    # a kept change that edits a line inside a small loop (a team's region at a call site there) keeps it out
    region = kept(HEAVY)
    region.accepted.proposal.edits.append(Edit("app.c", 35, 34, "#pragma omp parallel\n"))
    assert [t.line for t, _ in choose(SMALL, [region], reports, 1.8, 2, 1.05)[0]] == [26, 38, 44]
    # with nothing kept, 12% of the original run, still above a 1.05 bar; a 1.1 bar is out of reach
    assert choose(SMALL, [], reports, 1.0, 2, 1.05)[0]
    none, why = choose(SMALL, [], reports, 1.0, 2, 1.1)
    assert none == [] and why == "4 loop(s) each too small alone, together 12.0% of the run: at most 1.064x, under " \
                                 "min_speedup 1.1"


def test_only_loops_left_out_as_too_small_with_a_change_are_remainder_candidates():
    skipped = [{"loop": "app.c:32", "share": 0.02, "reason": "...", "target": SMALL[1].to_dict()},
               {"loop": "app.c:26", "share": 0.03, "reason": "...", "target": SMALL[0].to_dict()},
               {"loop": "app.c:51", "share": 0.0, "reason": "nothing to propose"}]
    assert [t.line for t in small_targets(skipped)] == [26, 32]  # hottest first, the one with no change left out


def test_a_race_of_the_set_names_the_small_loop_it_falls_in():
    reports = TreeAnalysis(PROJECT).reports
    chosen, _ = choose(SMALL[:2], [], reports, 1.0, 2, 1.01)
    # in the set's tree the pragma inserted before line 26 moves that loop's body down one line: line 29 there is
    # line 28 of the original, inside the loop at 26
    race = RaceCheck(build=Build(ok=True),
                     races=[RaceSite(file="app.c", line=29, other_file="app.c", other_line=29, kind="write-write")])
    assert racing_small(chosen, Evidence(stage="race", race=race), []) == \
        {0: "the set races at app.c:29 on ?, inside this loop"}
    assert racing_small(chosen, Evidence(stage="output"), []) == {}


def run(tmp_path: Path, outcomes: list[dict], **overrides) -> tuple[dict, Path, FakeLab]:
    repo = tmp_path / "small_rest"
    shutil.copytree(PROJECT, repo)
    cfg, origin = load_config(repo, None, {"budget.explore": 0, "budget.locality": 0, **overrides})
    lab = FakeLab(outcomes, profile=PROFILE)
    state, run_dir = start(repo, cfg, origin, tmp_path / "runs", run_id="r", lab=lab)
    return state, run_dir, lab


HOT = {"match": "#pragma omp", "tree": "cand", "stage": "passed", "speedup": 1.8}
FINAL = {"match": "", "tree": "final", "stage": "passed", "speedup": 1.8}
IDS = [t.loop_id for t in SMALL]


def test_the_small_loops_are_accepted_together_on_top_of_the_hot_one(tmp_path: Path):
    # (the scripted lab times every composed program alike: 2.0x with the hot loop's change alone and with the set)
    outcomes = [HOT, {"match": "", "tree": "rest", "stage": "passed", "speedup": 1.12},
                {"match": "", "tree": "final", "stage": "passed", "speedup": 2.0}]
    state, run_dir, lab = run(tmp_path, outcomes)
    composed = Composed.from_dict(state["composed"])
    assert composed.ok and composed.remainder == IDS and composed.kept == [HEAVY.loop_id, *IDS]
    # the set timed against the program with the hot loop's change (built in work/ref), then the final program
    # with everything checked and timed against the original again: the report's figure
    trees = [tree for tree, _ in lab.calls]
    assert trees[-3:] == ["final", "rest", "final"] and lab.references[-3:] == ["base", "ref", "base"]
    assert composed.remainder_check.speedup == 1.12 and composed.check.speedup == 2.0
    ref = (run_dir / "work" / "ref" / "app.c").read_text()
    assert ref.count("#pragma omp") == (run_dir / "work" / "final" / "app.c").read_text().count("#pragma omp") - 4
    patch = (run_dir / "patch.diff").read_text()
    assert patch.count("+    #pragma omp parallel for\n") == 4
    summary = json.loads((run_dir / "summary.json").read_text())
    rows = {lp["loop"]: lp for lp in summary["loops"]}
    assert all(rows[i]["status"] == "accepted" and rows[i]["remainder"] for i in IDS)
    assert summary["accepted"] == 5 and summary["whole_program"]["speedup"] == 2.0
    assert summary["remainder"] == {"loops": IDS, "speedup_over_composed": 1.12, "min": 1.12, "max": 1.12}
    report = (run_dir / "report.md").read_text()
    assert "4 of them each too small to clear min_speedup alone, accepted as one set on top of the other changes: " \
           "timed against the program with those changes, the set made it 1.12x faster" in report
    assert "not tried: `app.c:26`" not in report and "| `app.c:26` | main | 3.0% | accepted (small, as a set) |" in report
    events = read_transcript(run_dir / "transcript.jsonl")
    chosen = next(e for e in events if e["kind"] == "remainder")
    # 12% of the original is 24% of the program made 2.0x faster: at most 1/(1 - 0.12) = 1.136x
    assert chosen["loops"] == IDS and chosen["reason"].endswith("together 24.0% of the program with the accepted "
                                                                "changes: up to 1.136x")
    sets = [e for e in events if e["kind"] == "compose" and e.get("remainder")]
    assert len(sets) == 1 and sets[0]["reference"] == "ref" and sets[0]["stage"] == "passed"
    assert sets[0]["race"]["runs"] and sets[0]["output"]["ok"]
    verdicts = {e["loop"]: e for e in events if e["kind"] == "verdict" and e.get("remainder")}
    assert sorted(verdicts) == IDS and {e["action"] for e in verdicts.values()} == {"accept"}
    assert exit_code(state) == 0
    # the review walks it as two steps: the choice, then the set's check against the accepted program
    view = RunView(run_dir)
    view.refresh()
    titles = [s.title for s in view.steps]
    i = titles.index("small loops chosen as a set: 4")
    assert titles[i + 1] == "small loops as a set, 4 change(s): passed, 1.12x over the accepted changes"


def test_a_set_that_changes_the_output_is_given_up_and_the_hot_change_stays(tmp_path: Path):
    outcomes = [HOT, FINAL, {"match": "", "tree": "rest", "stage": "output"}]
    state, run_dir, lab = run(tmp_path, outcomes)
    composed = Composed.from_dict(state["composed"])
    assert composed.kept == [HEAVY.loop_id] and composed.remainder == [] and composed.check.speedup == 1.8
    loops = {lp.loop_id: lp for lp in map(LoopResult.from_dict, state["loops"])}
    for i in IDS:
        assert loops[i].status == "given_up" and "the set failed at output" in loops[i].reason
        assert loops[i].attempts[0].check.stage == "output"
        assert loops[i].attempts[0].verdict.feedback.kind == "wrong_output"
    assert [tree for tree, _ in lab.calls][-1] == "rest"  # no final program with the set
    assert (run_dir / "patch.diff").read_text().count("#pragma omp") == \
        (run_dir / "work" / "ref" / "app.c").read_text().count("#pragma omp")


def test_remainder_off_leaves_the_small_loops_untried(tmp_path: Path):
    state, run_dir, lab = run(tmp_path, [HOT, FINAL], **{"search.remainder": False})
    assert "rest" not in [tree for tree, _ in lab.calls]
    assert Composed.from_dict(state["composed"]).kept == [HEAVY.loop_id]
    assert "not tried: `app.c:26`: 3.0% of the time" in (run_dir / "report.md").read_text()


@pytest.mark.docker
@pytest.mark.slow
def test_the_small_loops_are_accepted_together_in_the_sandbox(tmp_path: Path):
    from typer.testing import CliRunner

    from hpcagent.agent.cli.main import app

    repo = tmp_path / "small_rest"
    shutil.copytree(PROJECT, repo)
    result = CliRunner().invoke(app, ["optimize", str(repo), "--out", str(tmp_path / "runs"), "--run-id", "r",
                                      "--quiet"])
    run_dir = tmp_path / "runs" / "r"
    events = read_transcript(run_dir / "transcript.jsonl")
    summary = json.loads((run_dir / "summary.json").read_text())
    rows = {lp["loop"]: lp for lp in summary["loops"]}
    assert result.exit_code == 0 and rows[HEAVY.loop_id]["status"] == "accepted", (result.output, rows)
    chosen = next(e for e in events if e["kind"] == "remainder")
    # each small loop about 3% of the profiled run: left out alone, all four chosen for the set
    assert sorted(chosen["loops"]) == IDS, chosen
    sets = [e for e in events if e["kind"] == "compose" and e.get("remainder")]
    assert sets and sets[0]["reference"] == "ref"
    # the set passed the race check and the output comparison on top of the hot loop's change; only its timing
    # against that program depends on the machine (about 1.1x expected on two quiet cores)
    assert sets[-1]["stage"] in ("passed", "timing"), sets[-1]
    if sets[-1]["stage"] == "passed":
        assert all(rows[i]["status"] == "accepted" and rows[i]["remainder"] for i in IDS)
        assert (run_dir / "patch.diff").read_text().count("#pragma omp parallel for\n") >= 4
        assert summary["whole_program"]["speedup"] > sets[-1]["timing"]["speedup"]
    else:
        assert all(rows[i]["status"] == "given_up" for i in IDS)


@pytest.mark.docker
@pytest.mark.slow
def test_small_loops_out_of_the_bars_reach_are_accepted_on_their_own_time_in_the_sandbox(tmp_path: Path):
    """With min_speedup 1.3 the four small loops (together at most 1.14x of the program with the hot change) cannot
    make the program faster enough: their set is within the noise, and timers around each loop decide."""
    from typer.testing import CliRunner

    from hpcagent.agent.cli.main import app

    repo = tmp_path / "small_rest"
    shutil.copytree(PROJECT, repo)
    result = CliRunner().invoke(app, ["optimize", str(repo), "--out", str(tmp_path / "runs"), "--run-id", "r",
                                      "--quiet", "--set", "budget.min_speedup=1.3"])
    run_dir = tmp_path / "runs" / "r"
    events = read_transcript(run_dir / "transcript.jsonl")
    summary = json.loads((run_dir / "summary.json").read_text())
    rows = {lp["loop"]: lp for lp in summary["loops"]}
    assert result.exit_code == 0 and rows[HEAVY.loop_id]["status"] == "accepted", (result.output, rows)
    sets = [e for e in events if e["kind"] == "compose" and e.get("remainder")]
    assert sets[-1]["stage"] == "timing" and sets[-1]["timing"]["verdict"] == "within noise", sets[-1]
    own = next(e for e in events if e["kind"] == "loop_times")
    # each loop alone: about 1.9x on two threads, far above 1.2 and beyond the noise
    assert sorted(own["times"]) == IDS and all(t["beyond_noise"] and t["speedup"] > 1.2 for t in own["times"].values())
    assert all(rows[i]["status"] == "accepted" and rows[i]["own_time"]["speedup"] > 1.2 for i in IDS)
    final = [e for e in events if e["kind"] == "compose" and e.get("loop_times")]
    assert final and final[-1]["stage"] == "passed"  # the whole program with all five changes, against the original
    patch = (run_dir / "patch.diff").read_text()
    assert patch.count("#pragma omp parallel for\n") >= 4 and "hpcagent_" not in patch and "omp_get_wtime" not in patch
    assert "accepted (small, own time)" in (run_dir / "report.md").read_text()


def test_a_change_the_analysis_did_not_prove_joins_only_where_the_race_check_can_speak_for_it():
    from types import SimpleNamespace

    from hpcagent.agent.run.remainder import first_plain_change, short_of_evidence
    from hpcagent.records import Proposal

    def change(line: int, proof: str, **kw) -> Proposal:
        return Proposal("app.c", line, line + 4, pragma="#pragma omp parallel for", proof=proof, **kw)

    fused = change(26, "static", locality="fusion")
    reports = [SimpleNamespace(line=26, candidates=[fused, change(26, "unproven")]),
               SimpleNamespace(line=32, candidates=[change(32, "unproven"), change(32, "static")])]
    # a proven plain change first, wherever it is in the list; a rewrite never
    assert first_plain_change(reports, SMALL[1]).proof == "static"
    assert first_plain_change(reports, SMALL[0]) is None
    assert first_plain_change(reports, SMALL[0], unproven=True).proof == "unproven"
    # unproven(t): allowed for the loop at 26 only (say the race-check input never runs the one at 38)
    chosen, _ = choose(SMALL[:2], [], lambda f: reports, 2.0, 2, 1.01, unproven=lambda t: t.line == 26)
    assert [(t.line, p.proof) for t, p in chosen] == [(26, "unproven"), (32, "static")]
    assert choose(SMALL[:1], [], lambda f: reports, 2.0, 2, 1.01)[0] == []
    # a passing set whose output was never compared is not the full evidence an unproven change needs
    short = short_of_evidence(chosen, Evidence(stage="passed", race=RaceCheck(build=Build(ok=True))))
    assert list(short) == [0] and short[0].startswith("not proven by the analysis, and the race check was not clean")
    assert short_of_evidence(chosen, Evidence(stage="timing")) == {}


# loops too small to show in the whole program's time: each one's own time decides (agent/run/loop_times.py)
OWN = {"app.c:26": 1.8, "app.c:32": 1.9, "app.c:38": 1.05}  # app.c:44 not faster at all


def test_a_set_within_the_noise_keeps_the_loops_whose_own_time_is_faster(tmp_path: Path):
    outcomes = [HOT, {"match": "", "tree": "rest", "stage": "timing", "speedup": 1.01}, FINAL]
    repo = tmp_path / "small_rest"
    shutil.copytree(PROJECT, repo)
    cfg, origin = load_config(repo, None, {"budget.explore": 0, "budget.locality": 0})
    lab = FakeLab(outcomes, profile=PROFILE, loop_speedups=OWN)
    state, run_dir = start(repo, cfg, origin, tmp_path / "runs", run_id="r", lab=lab)
    composed = Composed.from_dict(state["composed"])
    assert composed.kept == [HEAVY.loop_id, "app.c:26", "app.c:32"] and composed.remainder == ["app.c:26", "app.c:32"]
    assert composed.loop_times["app.c:32"]["speedup"] == 1.9 and composed.loop_times["app.c:32"]["beyond_noise"]
    # the set (rest), then the timed copies, then the final program with the two loops only, against the original
    assert [tree for tree, _ in lab.calls][-3:] == ["rest", "timed-set", "final"]
    final = (run_dir / "work" / "final" / "app.c").read_text()
    # (the hot loop's change is a team: `omp for` in heavy, `omp parallel` at its call)
    assert final.count("#pragma omp parallel for\n") == 2 and "hpcagent_" not in final
    timed = (run_dir / "work" / "timed-set" / "app.c").read_text()
    assert timed.count("omp_get_wtime()") == 8 and timed.count("#pragma omp parallel for\n") == 4
    ref = (run_dir / "work" / "timed-ref" / "app.c").read_text()
    assert ref.count("omp_get_wtime()") == 8 and ref.count("#pragma omp parallel for\n") == 0
    patch = (run_dir / "patch.diff").read_text()
    assert patch.count("+    #pragma omp parallel for\n") == 2 and "hpcagent_" not in patch
    loops = {lp.loop_id: lp for lp in map(LoopResult.from_dict, state["loops"])}
    assert loops["app.c:26"].status == "accepted" and "its own time 1.80x" in loops["app.c:26"].reason
    for i in ("app.c:38", "app.c:44"):
        assert loops[i].status == "given_up" and "not faster beyond the noise by min_loop_speedup 1.2" in loops[i].reason
    assert "its own time 1.05x" in loops["app.c:38"].reason
    assert "the set of small loops timed 1.01x" in loops["app.c:38"].reason
    summary = json.loads((run_dir / "summary.json").read_text())
    rows = {lp["loop"]: lp for lp in summary["loops"]}
    assert rows["app.c:26"]["own_time"]["speedup"] == 1.8 and "own_time" not in rows["app.c:38"]
    report = (run_dir / "report.md").read_text()
    assert "2 of them not faster beyond the noise in the whole program's time, accepted on their own time" in report
    assert "`app.c:32` 1.90x" in report
    assert "| `app.c:26` | main | 3.0% | accepted (small, own time) | 1.80x (1.80-1.80) |" in report
    events = read_transcript(run_dir / "transcript.jsonl")
    own = next(e for e in events if e["kind"] == "loop_times")
    assert sorted(own["times"]) == IDS and not own["times"]["app.c:44"]["beyond_noise"]
    view = RunView(run_dir)
    view.refresh()
    titles = [s.title for s in view.steps]
    assert "small loops' own times: 2 of 4 faster" in titles
    assert "final program with the loops faster on their own time: passed, 1.80x" in titles
    assert exit_code(state) == 0


def test_without_loop_timers_a_set_within_the_noise_is_given_up(tmp_path: Path):
    outcomes = [HOT, {"match": "", "tree": "rest", "stage": "timing", "speedup": 1.01}, FINAL]
    state, _, lab = run(tmp_path, outcomes, **{"budget.min_loop_speedup": 0})
    assert Composed.from_dict(state["composed"]).kept == [HEAVY.loop_id]
    assert "timed-set" not in [tree for tree, _ in lab.calls]
    assert all(lp.status == "given_up" for lp in map(LoopResult.from_dict, state["loops"]) if lp.loop_id in IDS)


STEP = """void step(int n, int steps, double *restrict a, double *restrict b, double *restrict c, double *out)
{
    for (int t = 0; t < steps; t++) {
        double sum = 0.0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                sum += a[i * n + j];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                b[i * n + j] = a[i * n + j] * sum;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                c[i * n + j] = b[i * n + j] + 1.0;
    }
    out[0] = c[0];
}
"""


def test_the_other_sweeps_of_a_time_step_whose_one_sweep_was_kept_join_the_set(tmp_path: Path):
    """A time loop's change was the pragma on its second sweep (line 8): the third sweep (line 11) is left serial
    by it and is tried in the set; the sum (line 5), whose reduction changed the output in the main loop, is not,
    nor the loop inside it; nor are the loops inside the kept sweep."""
    from hpcagent.agent.run.remainder import siblings

    (tmp_path / "s.c").write_text(STEP)
    reports = TreeAnalysis(tmp_path).reports
    by_line = {r.line: r for r in reports("s.c")}
    target = LoopTarget("s.c", 3, 14, "step", 1, 0.99, verdict="serial", proposals=3)

    def attempt(number: int, line: int, stage: str) -> Attempt:
        action = "accept" if stage == "passed" else "give_up"
        return Attempt(number, by_line[line].candidates[0], Evidence(stage=stage), Verdict(action, Feedback(stage)))
    tried = [attempt(1, 5, "output"), attempt(2, 8, "passed"), attempt(3, 11, "timing")]
    kept_step = LoopResult(target, "accepted", "", tried, tried[1])
    found = siblings([kept_step], reports)
    assert [t.line for t in found] == [11, 12]
    chosen, _ = choose(found, [kept_step], reports, 1.5, 2, 1.05, timers=True)
    assert [(t.line, p.pragma) for t, p in chosen] == [(11, "#pragma omp parallel for")]
    # a change on the time loop itself leaves nothing inside it serial
    whole = Attempt(1, replace(by_line[8].candidates[0], line=3, end_line=14), Evidence(stage="passed"),
                    Verdict("accept", Feedback("accepted")))
    assert siblings([LoopResult(target, "accepted", "", [whole], whole)], reports) == []


def test_a_set_that_fails_its_output_is_halved_down_to_the_loop_that_fails_alone(tmp_path: Path):
    bad = {"match": "", "tree": "rest", "loop": "app.c:38", "stage": "output"}
    outcomes = [HOT, bad, {"match": "", "tree": "rest", "stage": "passed", "speedup": 1.12},
                {"match": "", "tree": "final", "stage": "passed", "speedup": 2.0}]
    state, run_dir, _ = run(tmp_path, outcomes)
    composed = Composed.from_dict(state["composed"])
    assert composed.remainder == ["app.c:26", "app.c:32", "app.c:44"]
    loops = {lp.loop_id: lp for lp in map(LoopResult.from_dict, state["loops"])}
    assert loops["app.c:38"].status == "given_up" and "failed at output" in loops["app.c:38"].reason
    sets = [e["loops"] for e in read_transcript(run_dir / "transcript.jsonl") if e["kind"] == "compose" and
            e.get("remainder")]
    # the four, each half, the failing half's two alone, then the three left together
    assert sets == [IDS, IDS[:2], IDS[2:], ["app.c:38"], ["app.c:44"], ["app.c:26", "app.c:32", "app.c:44"]]
    assert (run_dir / "patch.diff").read_text().count("+    #pragma omp parallel for\n") == 3


def test_a_set_racing_in_a_function_its_loops_call_is_halved_down_to_the_loop_that_races_alone(tmp_path: Path):
    # the race's lines lie in heavy() (app.c:8-9), inside none of the small loops: halving finds app.c:38
    bad = {"match": "", "tree": "rest", "loop": "app.c:38", "stage": "race", "variable": "y", "at": "app.c:9"}
    outcomes = [HOT, bad, {"match": "", "tree": "rest", "stage": "passed", "speedup": 1.12},
                {"match": "", "tree": "final", "stage": "passed", "speedup": 2.0}]
    state, run_dir, lab = run(tmp_path, outcomes)
    assert Composed.from_dict(state["composed"]).remainder == ["app.c:26", "app.c:32", "app.c:44"]
    loops = {lp.loop_id: lp for lp in map(LoopResult.from_dict, state["loops"])}
    assert loops["app.c:38"].status == "given_up" and "failed at race: 1 race(s)" in loops["app.c:38"].reason
    sets = [e["loops"] for e in read_transcript(run_dir / "transcript.jsonl") if e["kind"] == "compose" and
            e.get("remainder")]
    assert sets == [IDS, IDS[:2], IDS[2:], ["app.c:38"], ["app.c:44"], ["app.c:26", "app.c:32", "app.c:44"]]
    # the halves are checked for their stages only, never timed; the whole set and the rest are
    halves = [e for e in read_transcript(run_dir / "transcript.jsonl") if e["kind"] == "compose" and e.get("remainder")]
    assert [("reference" in e, e["timing"] is not None) for e in halves] == \
        [(True, False)] + [(False, False)] * 4 + [(True, True)]
    assert lab.references.count(None) == 4
