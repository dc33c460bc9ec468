"""End to end through the optimize graph: a scripted model's racy pragma is refused by the static veto before any
sandbox work, the model is told the missing clause, and its repair passes the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpcagent.agent.config import load_config
from hpcagent.agent.run.runner import start
from hpcagent.agent.run.transcript import read_transcript

pytestmark = pytest.mark.slow

DOT_C = """\
#include <stdio.h>
#include <stdlib.h>

double dot(const double *a, const double *b, int n) {
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        s += a[i] * b[i];
    }
    return s;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    int reps = argc > 2 ? atoi(argv[2]) : 1;
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    for (int i = 0; i < n; i++) {
        a[i] = 1.0 / (i + 1);
        b[i] = 2.0;
    }
    double total = 0.0;
    for (int r = 0; r < reps; r++)
        total += dot(a, b, n);
    printf("%.6e\\n", total);
    free(a);
    free(b);
    return 0;
}
"""
MAKEFILE = "CC ?= cc\nCFLAGS ?= -O2\ndot: dot.c\n\t$(CC) $(CFLAGS) -o dot dot.c $(LDFLAGS)\n"
ANSWERS = [{"action": "pragma", "line": 21, "pragma": "#pragma omp parallel for"},
           {"action": "pragma", "line": 21, "pragma": "#pragma omp parallel for reduction(+:total)"}]


def test_llm_planner_repairs_a_race_inside_the_optimize_graph(tmp_path: Path, local_sandbox):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "dot.c").write_text(DOT_C)
    (repo / "Makefile").write_text(MAKEFILE)
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(json.dumps({"text": json.dumps(a)}) for a in ANSWERS))
    (repo / "hpcagent.toml").write_text(
        '[build]\ncommand = "make"\n[run]\ncommand = "./dot 1000000 300"\nrace_command = "./dot 2000 2"\n'
        '[search]\nmax_targets = 1\n[budget]\nattempts = 2\ntiming_reps = 1\n'
        f'[agent]\nplanner = "llm"\nmodel = "scripted:{answers}"\nsandbox = "local"\n')
    cfg, origin = load_config(repo)
    _, run_dir = start(repo, cfg, origin, tmp_path / "runs", run_id="e2e", sandbox=local_sandbox)
    # ranked by inclusive time from the sampled profile: main's loop over the calls of dot() holds all the work (the
    # time inside dot() counts for the loop that calls it), so it is the target, ahead of dot()'s own loop
    events = read_transcript(run_dir / "transcript.jsonl")
    found = next(e for e in events if e["kind"] == "targets")
    assert "error" not in found["profile"] and found["profile"]["samples"] > 20, found["profile"]
    targets = [e for e in events if e["kind"] == "target"]
    assert [t["loop"] for t in targets] == ["dot.c:21"], targets
    assert targets[0]["share"] > 0.9
    calls = [e for e in events if e["kind"] == "model_call"]
    # (main's fill loop, 3% of the run, is tried after compose as a set of small loops: its verdict is not the LLM's)
    verdicts = [e for e in events if e["kind"] == "verdict" and not e.get("remainder")]
    checks = [e for e in events if e["kind"] == "check"]
    vetoes = [e for e in events if e["kind"] == "veto"]
    assert len(calls) == 2 and len(verdicts) == 2
    # Attempt 1: the racy pragma, refused by the analysis (total is a proven + reduction) with no sandbox run.
    assert [v["attempt"] for v in vetoes] == [1] and vetoes[0]["missing"] == ["reduction(+:total)"]
    assert verdicts[0]["action"] == "repair" and verdicts[0]["feedback"]["kind"] == "dependence"
    assert verdicts[0]["feedback"]["data"]["add_clauses"] == ["reduction(+:total)"]
    # Attempt 2: the model saw the feedback and answered with the reduction, which the sandbox finds race-free.
    second_prompt = calls[1]["messages"][1]["content"]
    assert "Attempt 1: #pragma omp parallel for" in second_prompt and "dependence:" in second_prompt
    assert "reduction(+:total)" in second_prompt
    proposals = [e for e in events if e["kind"] == "proposal"]
    assert proposals[1]["planner"] == "llm"
    assert proposals[1]["proposal"]["pragma"] == "#pragma omp parallel for reduction(+:total)"
    assert len(checks) == 1 and checks[0]["attempt"] == 2
    assert checks[0]["stage"] != "race" and checks[0]["output"]["ok"]
    assert verdicts[1]["feedback"]["kind"] not in ("race", "dependence")
