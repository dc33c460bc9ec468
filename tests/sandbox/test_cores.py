"""The cores between hpcagent processes on one machine (sandbox/cores.py): a timing holds them alone, sandbox runs
share them, and the kernel releases a dead process's hold."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpcagent.sandbox import cores


def holder(kind: str, seconds: float, lock: Path) -> subprocess.Popen:
    code = (f"import time\nfrom hpcagent.sandbox import cores\nwith cores.{kind}():\n    print('held', flush=True)\n"
            f"    time.sleep({seconds})\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "HPCAGENT_CORES_LOCK": str(lock)})
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.fixture
def lock(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "cores.lock"
    monkeypatch.setenv("HPCAGENT_CORES_LOCK", str(path))
    return path


def test_a_timing_elsewhere_holds_back_sandbox_runs_and_other_timings(lock: Path):
    other = holder("exclusive", 1.5, lock)
    with cores.shared() as waited:
        assert waited >= 1.0  # waited for the other process's timing to end
    other.wait()
    other = holder("exclusive", 1.0, lock)
    with cores.exclusive() as waited:
        assert waited >= 0.5
    other.wait()


def test_sandbox_runs_share_the_cores_but_a_timing_waits_for_them(lock: Path):
    other = holder("shared", 1.5, lock)
    with cores.shared() as waited:
        assert waited < 0.5  # two builds at once are fine
    with cores.exclusive() as waited:
        assert waited >= 1.0  # a timing is not taken during another process's build
        with cores.shared() as inner:  # this thread's own sandbox runs inside its timing take nothing
            assert inner == 0.0
    other.wait()


def test_a_killed_holder_releases_the_cores(lock: Path):
    other = holder("exclusive", 60, lock)
    other.send_signal(signal.SIGKILL)
    other.wait()
    start = time.monotonic()
    with cores.exclusive():
        pass
    assert time.monotonic() - start < 2.0
