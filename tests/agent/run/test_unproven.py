"""The "unproven" tier: loops whose only obstacle is a possible dependence or aliasing between memory accesses get
candidates marked proof="unproven", tried after the proven ones, and accepted only on the sandbox's full evidence."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import REPO

from hpcagent.agent.cli.optimize import parse_sets
from hpcagent.agent.config import TEMPLATE, Config, load_config
from hpcagent.agent.critics.rules import RuleCritic
from hpcagent.agent.planners.analysis import AnalysisPlanner
from hpcagent.agent.protocols import PlanContext
from hpcagent.agent.run import evaluate
from hpcagent.agent.run.graph import Runtime, build_graph
from hpcagent.agent.run.report import write_outputs
from hpcagent.agent.run.transcript import Transcript
from hpcagent.errors import ConfigError
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
    assert [c.proof for c in candidates_for(floyd, "floydwarshall.c", 25)] == ["unproven"]
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
    return Attempt(n, prop, {}, Verdict("repair", Feedback("not_faster", data={"next_candidate": True})))


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
    raced = Attempt(1, first, {}, Verdict("repair", Feedback("race", data={"arrays": ["y"], "try_inner": True})))
    assert AnalysisPlanner().propose(alias, PlanContext(root), [raced]) is None


# --- critic -------------------------------------------------------------------------------------------------


def passed_check(threads=(2, 4), runs=(2, 4), test_ok: bool | None = None) -> dict:
    speed = {"speedup": 1.8, "speedup_min": 1.7, "speedup_max": 1.9, "reps": 3, "threads": 2, "median_a": 1.0,
             "median_b": 0.55, "verdict": "faster", "beyond_noise": True, "min_speedup": 1.02}
    return {"stage": "passed", "race": {"build": {"ok": True}, "threads": list(threads), "races": [], "ran": True,
                                        "runs": [{"threads": t, "repeat": 0, "ok": True, "races": 0} for t in runs]},
            "build": {"ok": True}, "output": {"ok": True, "diff": None}, "timing": speed,
            **({"test": {"ok": test_ok}} if test_ok is not None else {})}


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


def test_report_and_summary_mark_an_accepted_unproven_change(tmp_path: Path, monkeypatch):
    repo = tree(tmp_path / "repo", "fw.c", FLOYD)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    cfg = Config()
    cfg.budget.explore = 0
    monkeypatch.setattr(evaluate, "baseline", lambda sandbox, work, c: {"seconds": 1.0, "stdout": "", "outputs": {},
                                                                       "test": None, "races": [], "race_runs": []})
    monkeypatch.setattr(evaluate, "evidence", lambda sandbox, work, tree, c, base: {"root": str(work / tree),
                                                                                     **passed_check()})

    def discover(state, c, sandbox):
        targets = [t for t in rank_targets(Path(state["run_dir"]) / "work" / "orig") if t.function == "relax"]
        return {"targets": [t.to_dict() for t in targets], "profile": {"error": "no profile in this test"}}

    rt = Runtime(sandbox=None, planner=AnalysisPlanner(), critic=RuleCritic(), discover=discover,
                 transcript=Transcript(run_dir / "transcript.jsonl"), report=write_outputs)
    state = {"run_id": "u", "repo": str(repo), "run_dir": str(run_dir), "config": cfg.to_dict(),
             "config_origin": "test", "started": time.time(), "phase": "discover"}
    build_graph(rt).invoke(state, {"recursion_limit": 200})
    summary = json.loads((run_dir / "summary.json").read_text())
    # the k loop's thread team comes first (its i loop's omp for is not proven) and covers the i loop
    entry = next(lp for lp in summary["loops"] if lp["loop"] == f"fw.c:{FLOYD_I - 1}")
    assert entry["status"] == "accepted" and entry["proof"] == "unproven" and entry["group"] == [f"fw.c:{FLOYD_I}"]
    assert f"fw.c:{FLOYD_I}" not in {lp["loop"] for lp in summary["loops"]}
    report = (run_dir / "report.md").read_text()
    assert "**Not proven by the analysis:** path[i][j] (line 10) vs path[k][j] (line 8)" in report
    assert ("accepted on the sandbox's evidence only: race-free in the runs made (2 threads, 4 threads), "
            "no test command, output matches the original's.") in report
    assert "accepted (unproven)" in report and "1 of them not proven by the analysis" in report


# --- real runs in the sandbox --------------------------------------------------------------------------------

MAKEFILE = """ifeq ($(origin CC),default)
CC = gcc
endif
CFLAGS ?= -O2

app: app.c
\t$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) -lm

clean:
\trm -f app gmon.out
"""
CONFIG = """[build]
command = "make"

[run]
command = "./app {big}"
race_command = "./app {small}"
timeout = 120

[budget]
timing_reps = 3
attempts = 3
"""
# shift(a + 1, a, n): dst and src overlap, so dst[i] = f(src[i]) is a recurrence; the analysis sees only that they
# may alias, the race check sees iteration i write what iteration i + 1 reads.
SHIFT = """#include <stdio.h>
#include <stdlib.h>
static void shift(double *dst, const double *src, int n) {
    for (int i = 0; i < n; i++)
        dst[i] = src[i] * 0.5 + 1.0;
}
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    double *a = malloc((size_t)(n + 1) * sizeof *a);
    if (!a)
        return 2;
    for (int i = 0; i <= n; i++)
        a[i] = i % 17;
    for (int r = 0; r < 50; r++)
        shift(a + 1, a, n);
    double s = 0;
    for (int i = 0; i <= n; i++)
        s += a[i];
    printf("%.6e\\n", s);
    free(a);
    return 0;
}
"""
SHIFT_LOOP = 4
FW = FLOYD.replace("#define N 300", "#define N 1000").replace("for (int k = 0; k < N", "for (int k = 0; k < n") \
    .replace("for (int i = 0; i < N; i++)\n            for (int j = 0; j < N", "for (int i = 0; i < n; i++)\n"
             "            for (int j = 0; j < n").replace("static void relax(void)", "static int n;\n"
                                                         "static void relax(void)") \
    .replace("int main(void) {", "int main(int argc, char **argv) {\n    n = argc > 1 ? atoi(argv[1]) : N;") \
    .replace("#include <stdio.h>", "#include <stdio.h>\n#include <stdlib.h>")


def project(root: Path, source: str, big: str, small: str) -> Path:
    root.mkdir(parents=True)
    (root / "app.c").write_text(source)
    (root / "Makefile").write_text(MAKEFILE)
    (root / "hpcagent.toml").write_text(CONFIG.format(big=big, small=small))
    return root


def optimize(repo: Path, out: Path):
    from typer.testing import CliRunner

    from hpcagent.agent.cli.main import app

    result = CliRunner().invoke(app, ["optimize", str(repo), "--out", str(out), "--run-id", "r", "--quiet"])
    events = [json.loads(x) for x in (out / "r" / "transcript.jsonl").read_text().splitlines()]
    return result, out / "r", events


@pytest.mark.docker
@pytest.mark.slow
def test_real_unproven_change_on_overlapping_pointers_is_rejected_by_the_race_check(tmp_path: Path):
    repo = project(tmp_path / "shift", SHIFT, "2000000", "20000")
    assert [c.proof for c in candidates_for(repo, "app.c", SHIFT_LOOP)] == ["unproven"]
    result, run_dir, events = optimize(repo, tmp_path / "runs")
    assert result.exit_code == 3, result.output
    tries = [e for e in events if e["kind"] == "proposal" and e["loop"] == f"app.c:{SHIFT_LOOP}"]
    assert tries, "the unproven candidate was not tried"
    checks = [e for e in events if e["kind"] == "check" and e["loop"] == f"app.c:{SHIFT_LOOP}"]
    assert checks[0]["stage"] == "race" and checks[0]["race"]["races"]
    summary = json.loads((run_dir / "summary.json").read_text())
    entry = next(lp for lp in summary["loops"] if lp["loop"] == f"app.c:{SHIFT_LOOP}")
    assert entry["status"] != "accepted" and entry["proof"] is None
    assert "not proven by the analysis" in (run_dir / "report.md").read_text()


@pytest.mark.docker
@pytest.mark.slow
def test_real_unproven_change_on_floyd_warshall_is_accepted_and_marked(tmp_path: Path):
    repo = project(tmp_path / "fw", FW, "1000", "90")
    line = next(n for n, text in enumerate(FW.splitlines(), 1) if "for (int i = 0; i < n; i++)" in text)
    assert [c.proof for c in candidates_for(repo, "app.c", line)] == ["unproven"]
    result, run_dir, events = optimize(repo, tmp_path / "runs")
    assert result.exit_code in (0, 3), result.output
    # first the k loop's thread team, whose omp for on the i loop is the unproven part; the i loop alone comes
    # after it only if the team is not accepted
    k_loop = line - 1
    team = next(e for e in events if e["kind"] == "proposal" and e["loop"] == f"app.c:{k_loop}")["proposal"]
    assert team["proof"] == "unproven" and team["members"] == [f"app.c:{line}"]
    assert [(e["start_line"], e["new_text"].strip()) for e in team["edits"]] == \
        [(k_loop, "#pragma omp parallel"), (line, "#pragma omp for")]
    checks = [e for e in events if e["kind"] == "check" and e["loop"] == f"app.c:{k_loop}"]
    # the race check (2 and 4 threads), the run and the output comparison pass; only the timing depends on how
    # busy the machine is (a loaded 2-core machine makes 2 threads slower than 1)
    assert checks and checks[0]["stage"] in ("timing", "passed")
    assert sorted(r["threads"] for r in checks[0]["race"]["runs"] if r["ok"] and r["races"] == 0) == [2, 4]
    report = (run_dir / "report.md").read_text()
    assert "(analysis, not proven by the analysis): 1 loop(s) together" in report
    summary = json.loads((run_dir / "summary.json").read_text())
    entry = next(lp for lp in summary["loops"] if lp["loop"] == f"app.c:{k_loop}")
    if entry["status"] == "accepted":
        assert entry["proof"] == "unproven" and entry["group"] == [f"app.c:{line}"]
        assert "**Not proven by the analysis:** path[i][j]" in report
        assert "accepted on the sandbox's evidence only" in report
    else:
        # not accepted only for time: the team's own timing, or the whole-program timing in compose, fell short
        composed = [e for e in events if e["kind"] == "compose"]
        assert checks[-1]["stage"] == "timing" or (composed and composed[-1]["stage"] == "timing"), (checks, composed)
