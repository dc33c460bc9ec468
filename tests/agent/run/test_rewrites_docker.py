"""Unroll-and-jam and fusion in the real Docker sandbox: the rewrites the analysis offers for a matrix-vector product
and the loops around it (tests/data/projects/mvfuse) are applied one at a time and checked by the lab like any
change: built, race-checked with clang-16 + ThreadSanitizer + Archer at 2 and 3 threads, their output compared with
the original's. Whether each one pays off is the timing's business (tests/data/projects/mvfuse is small); that it
is race-free and gives the same output is what this test holds it to."""

from __future__ import annotations

import shutil

import pytest
from conftest import DATA

from hpcagent.agent.config import Config
from hpcagent.agent.run.lab import SandboxLab, fresh_copy
from hpcagent.sandbox.backends import scratch_dir
from hpcagent.tools.loops.analysis import analyze_file
from hpcagent.tools.patch import apply_edits

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PROJECT = DATA / "projects" / "mvfuse"


def test_unrolled_and_fused_loops_are_race_free_and_give_the_same_output(docker_sandbox):
    reps = {r.line: r for r in analyze_file(PROJECT / "mvfuse.c", PROJECT)}
    rewrites = {(line, c.locality): c for line, r in reps.items() for c in r.candidates
                if c.locality in ("unroll-jam", "fusion")}
    # the zeroing loop fused into the product, the product's rows unrolled and jammed, the product fused with the
    # loop that reads y
    assert set(rewrites) == {(22, "fusion"), (24, "unroll-jam"), (24, "fusion")}, sorted(rewrites)
    work = scratch_dir()
    try:
        shutil.copytree(PROJECT, work / "orig")
        cfg = Config.from_dict({"build": {"command": "make"},
                                "run": {"command": "./mvfuse 1500 100", "race_command": "./mvfuse 37 3"},
                                "threads": {"race": [2, 3], "race_repeats": 1}, "budget": {"timing_reps": 2}})
        lab = SandboxLab(docker_sandbox)
        base = lab.baseline(work, cfg)
        assert "mvfuse n=1500 reps=100 checksum" in base.stdout
        for n, ((line, kind), cand) in enumerate(sorted(rewrites.items())):
            tree = f"c{n}"
            fresh_copy(work / "orig", work / tree)
            apply_edits(work / tree, cand.edits)
            ev = lab.evidence(work, tree, cfg, base)
            assert ev.race.clean and ev.race.runs and all(r.ok for r in ev.race.runs), (line, kind, ev.stage, ev.error)
            assert ev.output is not None and ev.output.ok, (line, kind, ev.stage, ev.error)
            assert ev.stage in ("passed", "timing", "unreliable"), (line, kind, ev.stage, ev.error)
    finally:
        shutil.rmtree(work, ignore_errors=True)
