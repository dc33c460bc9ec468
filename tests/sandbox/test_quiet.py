"""The quiet-machine guard (sandbox/quiet.py): what else uses the cores before and during a timing, and a timing
taken beside a CPU hog marked unreliable instead of deciding anything."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpcagent.sandbox.quiet import HZ, Guard, container_cpu, cpu_times, runnable

STAT = """cpu  100 0 50 800 10 0 5 0 0 0
cpu0 60 0 30 400 5 0 3 0 0 0
cpu1 40 0 20 400 5 0 2 7 0 0
intr 12345
procs_running 5
procs_blocked 0
"""


def test_proc_stat_is_read_per_cpu(tmp_path: Path):
    stat = tmp_path / "stat"
    stat.write_text(STAT)
    one = cpu_times((0,), stat)
    assert (one.busy, one.total, one.steal) == (93, 498, 0)
    both = cpu_times(None, stat)
    assert both.busy == 93 + 62 and both.steal == 7 and both.total == 498 + 474
    assert runnable(stat) == 5


def test_a_guard_says_why_it_does_not_trust_a_timing(tmp_path: Path):
    stat = tmp_path / "stat"
    stat.write_text(STAT)
    guard = Guard((0, 1), threads=2, wait=0, stat=stat, interval=0.01)
    with guard:
        time.sleep(0.3)  # the file says 5 runnable: 2 beyond the timed program's 2 and the sampler
    assert guard.quiet.extra and set(guard.quiet.extra) == {2}
    assert not guard.quiet.reliable and "other tasks competed for the cores" in guard.quiet.reason
    stat.write_text(STAT.replace("procs_running 5", "procs_running 3"))
    with Guard((0, 1), threads=2, wait=0, stat=stat, interval=0.01) as calm:
        time.sleep(0.3)
    assert calm.quiet.reliable, calm.quiet.reason
    stat.write_text(STAT)
    with Guard((0, 1), threads=2, wait=0, stat=stat, interval=0.05) as short:
        time.sleep(0.12)  # too few samples to judge: the sandbox's own start and stop would dominate them
    assert short.quiet.reliable and len(short.quiet.extra) < 9


def hogs(n: int, cpu: int | None = None) -> list[subprocess.Popen]:
    code = "while True: pass" if cpu is None else f"import os; os.sched_setaffinity(0, {{{cpu}}})\nwhile True: pass"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]


def test_a_containers_cpu_time_is_read_from_its_cgroup_v1_or_v2(tmp_path: Path):
    v1 = tmp_path / "v1" / "cpuacct" / "docker" / "abc"
    v1.mkdir(parents=True)
    (v1 / "cpuacct.usage").write_text("2500000000\n")
    assert container_cpu("abc", tmp_path / "v1") == 2.5
    v2 = tmp_path / "v2" / "system.slice" / "docker-abc.scope"
    v2.mkdir(parents=True)
    (v2 / "cpu.stat").write_text("usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n")
    assert container_cpu("abc", tmp_path / "v2") == 1.5
    assert container_cpu("gone", tmp_path / "v1") is None and container_cpu(None) is None


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def test_the_guard_charges_the_cores_time_to_others_only_beyond_the_sandboxs_own(tmp_path: Path):
    """One busy process on a timing CPU: when it is the sandbox's own (its CPU time is `own`), the timing is
    trusted; when it is someone else's, it is not, even though only one task is runnable beside a serial program
    (the case that counting runnable tasks missed)."""
    (hog,) = hogs(1, cpu=0)
    try:
        time.sleep(0.3)
        with Guard((0,), threads=1, wait=0, interval=0.05, own=lambda: proc_cpu(hog.pid)) as mine:
            time.sleep(1.5)
        with Guard((0,), threads=1, wait=0, interval=0.05, own=lambda: 0.0) as theirs:
            time.sleep(1.5)
    finally:
        hog.kill()
    # (whatever else the machine runs meanwhile counts in both: compared, the hog's core is charged only to others)
    assert mine.quiet.others is not None and theirs.quiet.others is not None
    assert theirs.quiet.others - mine.quiet.others > 0.7, (mine.quiet, theirs.quiet)
    assert "other processes took" in theirs.quiet.reason, theirs.quiet


@pytest.mark.slow
def test_a_timing_beside_a_cpu_hog_is_unreliable_not_a_rejection(tmp_path: Path):
    from hpcagent.agent.critics.rules import RuleCritic
    from hpcagent.evidence import Evidence
    from hpcagent.records import LoopTarget, Proposal
    from hpcagent.sandbox.backends.local import LocalSandbox
    from hpcagent.sandbox.timer import time_interleaved

    for side in ("a", "b"):
        (tmp_path / side).mkdir()
    spin = f"{sys.executable} -c 'sum(i * i for i in range(3_000_000))'"
    procs = hogs(3)
    try:
        time.sleep(0.5)
        started = time.monotonic()
        timing = time_interleaved(LocalSandbox(quiet=True), tmp_path, {"cwd": "a", "cmd": spin},
                                  {"cwd": "b", "cmd": spin}, threads=2, reps=3, quiet_wait=2.0)
        waited = time.monotonic() - started
    finally:
        for p in procs:
            p.kill()
    assert timing.measured and timing.unreliable, timing
    assert "busy before the timing" in timing.unreliable or "competed for the cores" in timing.unreliable
    assert waited >= 2.0  # it waited (within its bound) for the hogs to stop before timing anyway
    # the critic neither accepts nor rejects on it
    ev = Evidence(stage="unreliable", error=f"timing unreliable: {timing.unreliable}", timing=timing)
    target = LoopTarget("a.c", 3, 5, "f")
    verdict = RuleCritic().review(target, Proposal("a.c", 3, 5, pragma="#pragma omp parallel for"), ev, [])
    assert verdict.action == "give_up" and verdict.feedback.kind == "unreliable"


@pytest.mark.slow
@pytest.mark.docker
def test_one_hog_beside_a_serial_timing_in_docker_is_seen(tmp_path: Path, docker_sandbox):
    """A serial original and candidate timed in the Docker sandbox with two threads allowed: one hog on a timing CPU
    leaves the runnable count at what two threads would give, but the cgroup accounting sees it; without the hog the
    same timing is trusted."""
    from hpcagent.sandbox.timer import time_interleaved

    for side in ("a", "b"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "spin.sh").write_text("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done\n")
    side = {"cwd": "a", "cmd": "sh spin.sh"}, {"cwd": "b", "cmd": "sh spin.sh"}
    calm = time_interleaved(docker_sandbox, tmp_path, *side, threads=2, reps=3, quiet_wait=5.0)
    (hog,) = hogs(1, cpu=0)
    try:
        time.sleep(0.5)
        loaded = time_interleaved(docker_sandbox, tmp_path, *side, threads=2, reps=3, quiet_wait=0.0)
    finally:
        hog.kill()
    assert calm.measured and not calm.unreliable, calm.unreliable
    assert loaded.measured and loaded.unreliable and "other processes took" in loaded.unreliable, loaded.unreliable
