"""The "unproven" tier: loops whose only obstacle is a possible dependence or aliasing between memory accesses get
candidates marked proof="unproven", tried after the proven ones, and accepted only on the sandbox's full evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO

from hpcagent.agent.cli.optimize import parse_sets
from hpcagent.agent.config import TEMPLATE, Config, load_config
from hpcagent.agent.critics.rules import RuleCritic
from hpcagent.agent.planners.analysis import AnalysisPlanner
from hpcagent.agent.protocols import PlanContext
from hpcagent.agent.run.fake_lab import FakeLab
from hpcagent.agent.run.runner import start
from hpcagent.errors import ConfigError
from hpcagent.evidence import Build, Evidence, OutputCheck, RaceCheck, RaceRun, TestRun, Timing
from hpcagent.records import Attempt, Feedback, LoopTarget, Proposal, Verdict
from hpcagent.tools.loops.analysis import analyze_path, candidates_for, rank_targets
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.loops.verdict import FileAnalyzer

# Floyd-Warshall: in the i loop, path[i][j] (written) and path[k][j] (read) meet when i == k; the tests cannot
# exclude it, although the row k does not change in step k.
FLOYD = """#include <stdio.h>
#define N 300
static double path[N][N];
static void relax(void) {
    for (int k = 0; k < N; k++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double via = path[i][k] + path[k][j];
                if (via < path[i][j])
                    path[i][j] = via;
            }
}
int main(void) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            path[i][j] = (i * 7 + j * 13) % 97 + (i == j ? -1000 : 1);
    for (int i = 0; i < N; i++)
        path[i][i] = 0;
    relax();
    double s = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            s += path[i][j];
    printf("%.1f\\n", s);
    return 0;
}
"""
FLOYD_I = 6

# Pointer parameters without restrict and no caller in this file: y and x may alias.
CASES = """double g(double);
void rec(double *y, const double *x, int n) {
  for (int i = 0; i < n - 1; i++)
    y[i + 1] = y[i] + x[i];
}
void call(double *y, const double *x, int n) {
  for (int i = 0; i < n; i++)
    y[i] = g(x[i]);
}
double alias(double *y, const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    double t = x[i] * 2.0;
    y[i] = t;
    s += t;
  }
  return s;
}
void serial(double *restrict y, int n) {
  for (int i = 1; i < n; i++)
    y[i] = y[i - 1] * 0.5;
}
"""
REC, CALL, ALIAS, SERIAL = 3, 7, 12, 20

# An outer loop unproven (y and x may alias) around an inner loop proven parallel (w is restrict).
NEST = """void f(double *restrict w, double *y, const double *x, int n, int m) {
  for (int i = 0; i < n; i++) {
    y[i] = x[i] * 2.0;
    for (int j = 0; j < m; j++)
      w[(long)i * m + j] = x[j] + 1.0;
  }
}
"""


def facts_at(text: str) -> dict:
    fa = FileAnalyzer(parse(text.encode(), "c"))
    return {f.loop.line: f for f in fa.analyze_all()}


def tree(root: Path, name: str, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text)
    return root


# --- the verdict field ---------------------------------------------------------------------------------------


def test_possible_dependence_gets_unproven_clauses_and_stays_unknown():
    facts = facts_at(FLOYD)
    inner = facts[FLOYD_I]
    assert inner.verdict == "unknown" and inner.clauses == []
    assert inner.unproven_clauses == [] and "path[k][j]" in inner.obstacle and "possible" in inner.obstacle
    assert facts[FLOYD_I - 1].verdict == "serial" and facts[FLOYD_I - 1].unproven_clauses is None  # the k loop


def test_alias_gets_the_clauses_of_a_parallel_loop():
    f = facts_at(CASES)[ALIAS]
    assert f.verdict == "unknown" and "may alias" in f.reason
    assert f.unproven_clauses == ["reduction(+:s)"] and f.obstacle == f.reason


@pytest.mark.parametrize("line", [REC, CALL, SERIAL])
def test_no_unproven_clauses_beside_another_obstacle(line):
    f = facts_at(CASES)[line]
    # REC: the alias hides a definite dependence (y[i + 1] = y[i]); CALL: g's effects are unknown; SERIAL: definite
    assert f.unproven_clauses is None and f.obstacle == ""
    assert f.verdict == ("serial" if line == SERIAL else "unknown")


def test_candidates_marked_and_only_where_allowed(tmp_path: Path):
    root = tree(tmp_path, "k.c", CASES)
    cands = candidates_for(root, "k.c", ALIAS)
    assert [c.proof for c in cands] == ["unproven"]
    assert cands[0].pragma == "#pragma omp parallel for reduction(+:s)"
    assert cands[0].reason.startswith("not proven by the analysis: y and x may alias")
    for line in (REC, CALL, SERIAL):
        assert candidates_for(root, "k.c", line) == []
    loops = {lp["line"]: lp for lp in analyze_path(root)["loops"]}
    assert loops[ALIAS]["pragma"] is None and loops[ALIAS]["unproven"]["pragma"] == cands[0].pragma
    assert loops[REC]["unproven"] is None


@pytest.mark.parametrize("kernel, lines", [("bench/kernels/seidel2d/seidel2d.c", [22, 23, 24]),
                                           ("bench/kernels/listwalk/listwalk.c", [41, 43]),
                                           ("bench/kernels/recurrence/recurrence.c", [23, 25]),
                                           ("examples/recurrence/recur.c", [42, 43, 45])])
def test_must_stay_serial_hot_loops_get_no_candidate(kernel, lines):
    path = REPO / kernel
    for line in lines:
        assert candidates_for(path.parent, path.name, line) == [], f"{kernel}:{line}"


def test_bench_kernels_get_their_unproven_candidates():
    floyd = REPO / "bench/kernels/floydwarshall"
    # the i loop's own candidate, then the j loop's below it
    assert [(c.line, c.proof) for c in candidates_for(floyd, "floydwarshall.c", 25)] == [(25, "unproven"),
                                                                                          (26, "unproven")]
    # struct fields (a->rowptr) are not followed to their allocations: cg's spmv stays unproven
    cg = candidates_for(REPO / "examples/cg", "cg.c", 48)
    assert cg and {c.proof for c in cg} == {"unproven"} and "may alias" in cg[0].reason


# --- config -------------------------------------------------------------------------------------------------


def test_config_key_and_set_flag(tmp_path: Path):
    assert Config().search.unproven is True
    cfg, _ = load_config(tmp_path, overrides=parse_sets(["search.unproven=false"]))
    assert cfg.search.unproven is False
    (tmp_path / "hpcagent.toml").write_text("[search]\nunproven = false\n")
    assert load_config(tmp_path)[0].search.unproven is False
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, overrides=parse_sets(["search.unproven=maybe"]))
    assert "search.unproven" in str(err.value)
    assert "# unproven = true" in TEMPLATE


# --- planner ------------------------------------------------------------------------------------------------


def tried(n: int, prop: Proposal) -> Attempt:
    verdict = Verdict("repair", Feedback("not_faster", data={"next_candidate": True}))
    return Attempt(n, prop, Evidence(stage="timing"), verdict)


def test_planner_proposes_unproven_only_after_the_proven_ones(tmp_path: Path):
    root = tree(tmp_path, "n.c", NEST)
    target = LoopTarget("n.c", 2, 6, "f", verdict="unknown")
    assert [t.line for t in rank_targets(root)] == [2]  # one target per nest: the unproven outer loop
    planner, ctx = AnalysisPlanner(), PlanContext(root)
    history: list[Attempt] = []
    seen = []
    while (prop := planner.propose(target, ctx, history)) is not None:
        seen.append((prop.line, prop.proof))
        history.append(tried(len(history) + 1, prop))
        assert len(history) < 8
    assert seen[-1] == (2, "unproven") and all(p == "static" for _, p in seen[:-1]) and len(seen) >= 2
    assert all(line == 4 for line, _ in seen[:-1])
    off = AnalysisPlanner(unproven=False)
    proven = []
    while (prop := off.propose(target, ctx, [tried(i + 1, p) for i, p in enumerate(proven)])) is not None:
        proven.append(prop)
        assert len(proven) < 8
    assert proven and all(p.proof == "static" for p in proven)


def test_planner_unproven_switch_and_serial_loops(tmp_path: Path):
    root = tree(tmp_path, "k.c", CASES)
    alias = LoopTarget("k.c", ALIAS, ALIAS + 4, "alias", verdict="unknown")
    first = AnalysisPlanner().propose(alias, PlanContext(root), [])
    assert first is not None and first.proof == "unproven"
    assert AnalysisPlanner(unproven=False).propose(alias, PlanContext(root), []) is None
    for line in (REC, CALL, SERIAL):
        assert AnalysisPlanner().propose(LoopTarget("k.c", line, line + 1), PlanContext(root), []) is None
    # a race on an array at this level: the unproven candidate is not offered again in another form
    verdict = Verdict("repair", Feedback("race", data={"arrays": ["y"], "try_inner": True}))
    raced = Attempt(1, first, Evidence(stage="race"), verdict)
    assert AnalysisPlanner().propose(alias, PlanContext(root), [raced]) is None


# --- critic -------------------------------------------------------------------------------------------------


def passed_check(threads=(2, 4), runs=(2, 4), test_ok: bool | None = None) -> Evidence:
    speed = Timing(speedup=1.8, speedup_min=1.7, speedup_max=1.9, reps=3, threads=2, median_a=1.0, median_b=0.55,
                   verdict="faster", beyond_noise=True, min_speedup=1.02)
    race = RaceCheck(Build(ok=True), [RaceRun(threads=t) for t in runs], [], ran=True, threads=list(threads))
    return Evidence(stage="passed", race=race, build=Build(ok=True), output=OutputCheck(ok=True), timing=speed,
                    test=TestRun(ok=test_ok) if test_ok is not None else None)


def test_critic_needs_every_race_run_for_an_unproven_change():
    target = LoopTarget("k.c", ALIAS, ALIAS + 4)
    static = Proposal("k.c", ALIAS, ALIAS + 4, pragma="#pragma omp parallel for")
    unproven = Proposal("k.c", ALIAS, ALIAS + 4, pragma="#pragma omp parallel for", proof="unproven")
    critic = RuleCritic()
    assert critic.review(target, unproven, passed_check(), []).action == "accept"
    short = passed_check(runs=(2,))
    assert critic.review(target, static, short, []).action == "accept"
    verdict = critic.review(target, unproven, short, [])
    assert verdict.action == "give_up" and "not proven by the analysis" in verdict.feedback.evidence
    assert "[4]" in verdict.feedback.evidence
    unknown_counts = passed_check(threads=())
    assert critic.review(target, unproven, unknown_counts, []).action == "give_up"


# --- the report, from a graph run with scripted sandbox evidence ---------------------------------------------


def test_report_and_summary_mark_an_accepted_unproven_change(tmp_path: Path):
    repo = tree(tmp_path / "repo", "fw.c", FLOYD)
    cfg = Config()
    cfg.budget.explore = 0
    # every change passes; the profile puts the time in relax, so only its loops are targets
    lab = FakeLab([{"match": "#pragma omp", "stage": "passed", "speedup": 1.8}],
                  profile={"functions": {"relax": 0.999, "main": 0.001}, "lines": {}, "seconds": 3.0})
    _, run_dir = start(repo, cfg, "test", tmp_path / "runs", run_id="u", lab=lab)
    summary = json.loads((run_dir / "summary.json").read_text())
    # the k loop's thread team comes first (its i loop's omp for is not proven) and covers the i loop
    entry = next(lp for lp in summary["loops"] if lp["loop"] == f"fw.c:{FLOYD_I - 1}")
    assert entry["status"] == "accepted" and entry["proof"] == "unproven" and entry["group"] == [f"fw.c:{FLOYD_I}"]
    assert f"fw.c:{FLOYD_I}" not in {lp["loop"] for lp in summary["loops"]}
    report = (run_dir / "report.md").read_text()
    assert "**Not proven by the analysis:** path[i][j] (line 10) vs path[k][j] (line 8)" in report
    assert ("accepted on the sandbox's evidence only: race-free in 3 runs at 2, 3, 4 threads, "
            "no test command, output matches the original's.") in report
    assert "accepted (unproven)" in report and "1 of them not proven by the analysis" in report


def test_a_loop_the_race_input_never_entered_is_no_evidence():
    target = LoopTarget("k.c", ALIAS, ALIAS + 4)
    static = Proposal("k.c", ALIAS, ALIAS + 4, pragma="#pragma omp parallel for")
    unproven = Proposal("k.c", ALIAS, ALIAS + 4, pragma="#pragma omp parallel for", proof="unproven")
    unseen = passed_check()
    unseen.unexecuted = [f"k.c:{ALIAS}"]
    verdict = RuleCritic().review(target, unproven, unseen, [])
    assert verdict.action == "give_up" and f"the race-check input never ran k.c:{ALIAS}" in verdict.feedback.evidence
    accepted = RuleCritic().review(target, static, unseen, [])
    assert accepted.action == "accept" and "the analysis's proof stands for it" in accepted.feedback.evidence
