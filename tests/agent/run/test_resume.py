"""Kill -9 a run at random points; `hpcagent resume` ends with the same result and redoes no finished step: with the
scripted Lab (no container engine, fast) and in the real Docker sandbox."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DATA, REPO

HPCAGENT = [sys.executable, "-m", "hpcagent.agent.cli.main"]
# Events written as a node finishes: after a resume none of these may repeat for a node that had finished.
END_EVENTS = {"targets", "baseline", "target", "proposal", "apply", "check", "verdict", "compose", "outputs"}


def events(run_dir: Path) -> list[dict]:
    path = run_dir / "transcript.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def key(e: dict) -> tuple:
    return (e["kind"], e.get("loop"), e.get("attempt"), e.get("index"), e.get("phase"), str(e.get("loops")))


def start(repo: Path, out: Path, run_id: str, args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([*HPCAGENT, "optimize", str(repo), "--out", str(out), "--run-id", run_id, "--quiet", *args],
                            cwd=REPO, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def outcome(run_dir: Path) -> tuple:
    summary = json.loads((run_dir / "summary.json").read_text())
    accepted = sorted(lp["loop"] for lp in summary["loops"] if lp["status"] == "accepted")
    return accepted, (run_dir / "patch.diff").read_text()


def test_kill_and_resume_with_the_fake_lab(tmp_path: Path):
    outcomes = [{"match": "reduction(+:s)", "stage": "timing", "speedup": 1.0},
                {"match": "#pragma omp", "stage": "passed", "speedup": 1.7}]
    lab = tmp_path / "lab.json"
    lab.write_text(json.dumps({"outcomes": outcomes, "delay": 0.15}))
    reference = kill_and_resume(tmp_path, ["--sandbox", f"fake:{lab}"], kills=4)
    assert "app.c:8" in reference[0] and "app.c:19" not in reference[0] and "#pragma omp for" in reference[1]


@pytest.mark.docker
@pytest.mark.slow
def test_kill_and_resume_in_the_sandbox(tmp_path: Path):
    # Each run compared here profiles and times on its own, minutes apart, so nothing in it may hang on the noise:
    # - no second candidate after an acceptance (which of two passing forms is kept is the timer's call);
    # - no small loops: total()'s sum gets one profile sample in about 770 in some runs and none in others, so it
    #   would be a small loop (share 0.1%, judged by its own timer) in some runs only.
    kill_and_resume(tmp_path, ["--set", "budget.explore=0", "--set", "search.min_share_small=0.01"], kills=3)


def kill_and_resume(tmp_path: Path, args: list[str], kills: int) -> tuple:
    """A full run, then `kills` runs each killed at a random event and resumed: all end as the full run did."""
    repo = tmp_path / "mini"
    shutil.copytree(DATA / "projects" / "mini", repo)
    out = tmp_path / "runs"
    full = start(repo, out, "full", args)
    assert full.wait(timeout=900) in (0, 3), full.stderr.read().decode()[-2000:]
    reference = outcome(out / "full")
    total = len(events(out / "full"))
    seed = int(os.environ.get("HPCAGENT_TEST_SEED", time.time()))
    rng = random.Random(seed)
    points = sorted(rng.sample(range(2, total - 2), kills))
    print(f"seed {seed}: killing after {points} of {total} events")
    for n, point in enumerate(points):
        run_id = f"killed{n}"
        proc = start(repo, out, run_id, args)
        deadline = time.time() + 600
        while len(events(out / run_id)) < point and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):  # a run that took fewer steps may have ended already
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        before = events(out / run_id)
        resumed = subprocess.run([*HPCAGENT, "resume", run_id, "--out", str(out), "--quiet"], cwd=REPO,
                                 capture_output=True, text=True, timeout=900)
        assert resumed.returncode in (0, 3), resumed.stderr[-2000:]
        assert outcome(out / run_id) == reference, f"seed {seed}, kill after {point} events"
        after = events(out / run_id)[len(before):]
        assert any(e["kind"] == "resume" for e in after)
        # The last event before the kill may belong to a node whose checkpoint was not yet written: it may rerun.
        finished = {key(e) for e in before[:-1] if e["kind"] in END_EVENTS}
        rerun = [key(e) for e in after if e["kind"] in END_EVENTS and key(e) in finished]
        assert rerun == [], f"seed {seed}: finished steps ran again after resume: {rerun}"
    assert (repo / "app.c").read_text() == (DATA / "projects" / "mini" / "app.c").read_text()
    return reference
