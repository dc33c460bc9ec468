"""A group change end to end: `hpcagent optimize` on the jacobi2d kernel (small size) in the real Docker sandbox."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO
from typer.testing import CliRunner

from hpcagent.agent.cli.main import app

pytestmark = [pytest.mark.docker, pytest.mark.slow]
KERNEL = REPO / "bench" / "kernels" / "jacobi2d" / "jacobi2d.c"


def test_jacobi2d_time_loop_is_tried_as_one_group(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(KERNEL, src / "jacobi2d.c")
    # the timed binary and a small one for the ThreadSanitizer runs, as bench/agent_variant.py builds them
    build = ("$CC $CFLAGS -DN=300 -DTSTEPS=300 jacobi2d.c -o jacobi2d $LDFLAGS -lm && "
             "$CC $CFLAGS -DN=64 -DTSTEPS=5 jacobi2d.c -o jacobi2d_small $LDFLAGS -lm")
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, ["optimize", str(src), "--build", build, "--run", "./jacobi2d",
                                      "--race-run", "./jacobi2d_small", "--out", str(out), "--run-id", "r",
                                      "--quiet", "--sandbox", "docker", "--reps", "3", "--threads", "2",
                                      "--planner", "analysis", "--max-targets", "3", "--attempts", "2"])
    assert result.exit_code in (0, 3), result.output
    run_dir = out / "r"
    events = [json.loads(x) for x in (run_dir / "transcript.jsonl").read_text().splitlines()]
    discovered = {f"{t['file']}:{t['line']}" for e in events if e["kind"] == "targets" for t in e["targets"]}
    targets = [e["loop"] for e in events if e["kind"] == "target"]
    assert targets[0] == "jacobi2d.c:23"  # the serial time loop, before the sweeps it holds
    group = next(e for e in events if e["kind"] == "proposal" and e["loop"] == "jacobi2d.c:23")["proposal"]
    # first form: one thread team around the time loop, each sweep shared out with omp for
    assert group["members"] == ["jacobi2d.c:24", "jacobi2d.c:27"]
    assert [(e["start_line"], e["new_text"].strip()) for e in group["edits"]] == \
        [(23, "#pragma omp parallel"), (24, "#pragma omp for"), (27, "#pragma omp for")]
    # evaluated in the sandbox: built with TSan, race-free in every race-check run, then built and timed
    check = next(e for e in events if e["kind"] == "check" and e["loop"] == "jacobi2d.c:23")
    assert check["race"]["build"]["ok"] and len(check["race"]["runs"]) >= 2
    assert all(r["ok"] and r["races"] == 0 for r in check["race"]["runs"])
    assert check["stage"] in ("passed", "timing") and check["timing"] and "speedup" in check["timing"]
    # every accepted change passed the race check; an accepted group covers its loops, which are not tried alone
    summary = json.loads((run_dir / "summary.json").read_text())
    passed = [e for e in events if e["kind"] == "check" and e["stage"] == "passed"]
    for c in passed:
        assert c["race"]["races"] == [] and all(r["ok"] and r["races"] == 0 for r in c["race"]["runs"])
    accepted = {lp["loop"] for lp in summary["loops"] if lp["status"] == "accepted"}
    assert accepted <= {e["loop"] for e in passed}
    if "jacobi2d.c:23" in accepted:
        assert {"jacobi2d.c:24", "jacobi2d.c:27"}.isdisjoint(targets)
        skipped = {e["loop"] for e in events if e["kind"] == "skip"}
        assert skipped == {"jacobi2d.c:24", "jacobi2d.c:27"} & discovered  # discovery may leave a cold sweep out
        assert "2 loop(s) together" in (run_dir / "report.md").read_text()


def test_a_time_loop_with_a_pointer_swap_and_a_progress_print_gets_one_team(tmp_path: Path):
    """The body of the time loop holds a sweep, a pointer swap and a progress print: the sweep is shared out with
    `omp for`, the swap and the print run in one `omp single` block, proven, race-free and checked in Docker."""
    src = tmp_path / "src"
    shutil.copytree(REPO / "tests" / "data" / "projects" / "swap_steps", src)
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, ["optimize", str(src), "--build", "make", "--run", "./diffuse 700 120",
                                      "--race-run", "./diffuse 40 60", "--out", str(out), "--run-id", "r",
                                      "--quiet", "--sandbox", "docker", "--reps", "3", "--threads", "2",
                                      "--planner", "analysis", "--max-targets", "1", "--attempts", "2"])
    assert result.exit_code in (0, 3), result.output
    run_dir = out / "r"
    events = [json.loads(x) for x in (run_dir / "transcript.jsonl").read_text().splitlines()]
    team = next(e for e in events if e["kind"] == "proposal" and e["loop"] == "diffuse.c:25")["proposal"]
    assert team["members"] == ["diffuse.c:26"] and team["proof"] == "static"
    assert [(e["start_line"], e["new_text"].split()) for e in team["edits"]] == [
        (25, ["#pragma", "omp", "parallel"]), (26, ["#pragma", "omp", "for"]),
        (30, ["#pragma", "omp", "single", "{"]), (35, ["}"])]
    check = next(e for e in events if e["kind"] == "check" and e["loop"] == "diffuse.c:25")
    assert check["race"]["build"]["ok"] and len(check["race"]["runs"]) >= 2
    assert all(r["ok"] and r["races"] == 0 for r in check["race"]["runs"])
    # the progress lines and the checksum are the original's (the output comparison passed)
    assert check["stage"] in ("passed", "timing") and check["output"]["ok"], check
    summary = json.loads((run_dir / "summary.json").read_text())
    status = {lp["loop"]: lp for lp in summary["loops"]}["diffuse.c:25"]
    if status["status"] == "accepted":
        patch = (run_dir / "patch.diff").read_text()
        assert "+        #pragma omp single\n+        {\n" in patch and "+        }\n" in patch
