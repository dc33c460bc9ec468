"""The real SmolLM2-135M as the planner on a stencil followed by a recurrence, through the whole optimize run in the
local sandbox (clang-16 + TSan): whatever the model proposes, the recurrence is never accepted.

This is the run that once accepted `#pragma omp parallel for` on `vec[k] = 0.5 * vec[k] + 0.5 * vec[k - 1]` (the
race check happened to see nothing at 2 and 4 threads, a checksum hid the wrong values, 1.29x).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpcagent.agent.config import load_config
from hpcagent.agent.run.runner import start
from hpcagent.agent.run.transcript import read_transcript

pytestmark = [pytest.mark.slow, pytest.mark.llm]

SOURCE = """\
#include <stdio.h>
#include <stdlib.h>

static void step(double *restrict out, const double *restrict in, double *vec, int n) {
    for (int i = 1; i < n - 1; i++)
        out[i] = (in[i - 1] + 2.0 * in[i] + in[i + 1]) * 0.25;
    for (int k = 1; k < n; k++)
        vec[k] = 0.5 * vec[k] + 0.5 * vec[k - 1];
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000, reps = argc > 2 ? atoi(argv[2]) : 1;
    double *in = malloc(n * sizeof *in), *out = calloc(n, sizeof *out), *vec = malloc(n * sizeof *vec);
    for (int i = 0; i < n; i++) {
        in[i] = (i % 17) * 0.25;
        vec[i] = (i % 5) * 1.0;
    }
    for (int r = 0; r < reps; r++)
        step(out, in, vec, n);
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += out[i] + vec[i];
    printf("%.9e\\n", sum);
    free(in);
    free(out);
    free(vec);
    return 0;
}
"""
MAKEFILE = "CC ?= cc\nCFLAGS ?= -O2\nstencil: stencil.c\n\t$(CC) $(CFLAGS) -o stencil stencil.c $(LDFLAGS)\n"
RECURRENCE = "stencil.c:7"


def test_the_recurrence_is_never_accepted_whatever_smollm2_proposes(tmp_path: Path, local_sandbox):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "stencil.c").write_text(SOURCE)
    (repo / "Makefile").write_text(MAKEFILE)
    (repo / "hpcagent.toml").write_text(
        '[build]\ncommand = "make"\n[run]\ncommand = "./stencil 200000 200"\nrace_command = "./stencil 3000 2"\n'
        '[search]\nmax_targets = 3\n[budget]\nattempts = 3\ntiming_reps = 3\nexplore = 0\n'
        '[agent]\nplanner = "llm"\nmodel = "smollm2"\nsandbox = "local"\n')
    cfg, origin = load_config(repo)
    _, run_dir = start(repo, cfg, origin, tmp_path / "runs", run_id="s", sandbox=local_sandbox)
    events = read_transcript(run_dir / "transcript.jsonl")
    assert any(e["kind"] == "model_call" for e in events), "the model was never asked"
    summary = json.loads((run_dir / "summary.json").read_text())
    statuses = {lp["loop"]: lp["status"] for lp in summary["loops"]}
    assert statuses.get(RECURRENCE) != "accepted"
    # every proposal that shares the recurrence out is refused before the sandbox: no race check ever runs on it
    shared_out = {e["attempt"] for e in events if e["kind"] == "proposal" and e["loop"] == RECURRENCE
                  and e["proposal"] and any(x["start_line"] == 7 and "omp" in x["new_text"]
                                            for x in e["proposal"]["edits"])}
    vetoed = {e["attempt"] for e in events if e["kind"] == "veto" and e["vetoed"] == RECURRENCE}
    assert shared_out <= vetoed
    # and nothing in the final program shares it out
    final = run_dir / "work" / "final" / "stencil.c"
    if final.exists():
        lines = final.read_text().splitlines()
        k = next(n for n, line in enumerate(lines) if "for (int k = 1" in line)
        assert "#pragma" not in lines[k - 1]
