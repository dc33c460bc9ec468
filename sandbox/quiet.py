"""Is the machine quiet enough to time on? What else uses the cores before and during a timing.

A timing compares the original with a candidate run by run; another job on the same cores slows whichever runs
while it does and turns a real gain into "slower". Before a timing this module samples /proc/stat over a short
window (the share of the timing's CPUs busy with anything, and steal time from a hypervisor) and waits, up to a
bound, for them to be idle. During the timing a thread samples the busy time of the timing's CPUs and, when the
sandbox is a Docker container, the CPU time of the container's own processes (its cgroup): the difference is what
everything else took from those CPUs, whether the side being timed is serial or parallel. Without a container (the
local backend) it samples the number of runnable tasks (procs_running) instead: the timed program accounts for at
most `threads` of them, the sampler for one; more than that, most of the time, means someone else wants the cores
(blind to one other task beside a serial program). A timing taken so is marked unreliable and is neither an
acceptance nor a rejection.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

STAT = Path("/proc/stat")
TRIM = 3
"""Samples left out at each end of a timing: the sandbox starting and stopping."""
MIN_SAMPLES = 6
"""Samples a timing needs (after trimming) before the load during it is judged."""
HZ = os.sysconf("SC_CLK_TCK")
"""Jiffies per second in /proc/stat."""


@dataclass
class CpuTimes:
    busy: float
    total: float
    steal: float


def cpu_times(cpus: tuple[int, ...] | None = None, stat: Path = STAT) -> CpuTimes:
    """Jiffies busy, in total and stolen, summed over the given CPUs (all when None)."""
    busy = total = steal = 0.0
    for line in stat.read_text().splitlines():
        if not line.startswith("cpu") or line.startswith("cpu "):
            continue
        name, *values = line.split()
        if cpus is not None and int(name[3:]) not in cpus:
            continue
        v = [float(x) for x in values[:8]] + [0.0] * (8 - len(values[:8]))
        user, nice, system, idle, iowait, irq, softirq, stolen = v
        busy += user + nice + system + irq + softirq
        total += user + nice + system + idle + iowait + irq + softirq + stolen
        steal += stolen
    return CpuTimes(busy, total, steal)


def busy_share(cpus: tuple[int, ...] | None, window: float = 0.5, stat: Path = STAT) -> tuple[float, float]:
    """(busy share, steal share) of the CPUs over `window` seconds."""
    a = cpu_times(cpus, stat)
    time.sleep(window)
    b = cpu_times(cpus, stat)
    total = b.total - a.total
    if total <= 0:
        return 0.0, 0.0
    return (b.busy - a.busy) / total, (b.steal - a.steal) / total


CGROUP = Path("/sys/fs/cgroup")
CGROUP_FILES = ("cpuacct/docker/{id}/cpuacct.usage", "cpu,cpuacct/docker/{id}/cpuacct.usage",
                "cpuacct/system.slice/docker-{id}.scope/cpuacct.usage",
                "cpu,cpuacct/system.slice/docker-{id}.scope/cpuacct.usage",
                "docker/{id}/cpu.stat", "system.slice/docker-{id}.scope/cpu.stat")
"""Where a container's CPU time lies: cgroup v1 (cpuacct.usage, ns) or v2 (cpu.stat usage_usec), cgroupfs or systemd
driver."""


def container_cpu(container_id: str | None, root: Path = CGROUP) -> float | None:
    """CPU seconds used so far by a Docker container's processes, read from its cgroup; None when not found."""
    if not container_id:
        return None
    for pattern in CGROUP_FILES:
        path = root / pattern.format(id=container_id)
        try:
            text = path.read_text()
        except OSError:
            continue
        if path.name == "cpuacct.usage":
            return int(text.strip()) / 1e9
        for line in text.splitlines():
            if line.startswith("usage_usec"):
                return int(line.split()[1]) / 1e6
    return None


def runnable(stat: Path = STAT) -> int:
    for line in stat.read_text().splitlines():
        if line.startswith("procs_running"):
            return int(line.split()[1])
    return 0


@dataclass
class Quiet:
    """What the guard saw around one timing."""

    waited: float = 0.0
    """Seconds spent waiting for quiet before the timing."""
    busy_before: float = 0.0
    """Share of the timing's CPUs busy just before it started."""
    steal: float = 0.0
    extra: list[int] = field(default_factory=list)
    """Runnable tasks beyond the timed program and the sampler, sampled during the timing (local backend)."""
    others: float | None = None
    """CPUs' worth of time that processes outside the sandbox took from the timing's CPUs during the timing (measured
    when the sandbox's own CPU time can be read: a Docker container's cgroup)."""
    reason: str = ""
    """Why the timing cannot be trusted; '' when it can."""

    @property
    def reliable(self) -> bool:
        return not self.reason


class Guard:
    """Wait for quiet before a timing and watch the load during it.

    max_busy: share of the timing CPUs that may be busy before it starts; wait: seconds to wait for that at most;
    max_extra: how many extra runnable tasks, as the median of the samples, the timing tolerates (without `own`);
    own: a function giving the CPU seconds the sandbox's processes have used so far (None while unknown);
    max_others: CPUs' worth of time others may take from the timing's CPUs during the timing (with `own`)."""

    def __init__(self, cpus: tuple[int, ...], threads: int, max_busy: float = 0.3, wait: float = 60.0,
                 max_extra: float = 0.5, interval: float = 0.1, stat: Path = STAT,
                 own: Callable[[], float | None] | None = None, max_others: float = 0.3):
        self.cpus, self.threads = cpus, threads
        self.max_busy, self.wait, self.max_extra, self.interval, self.stat = max_busy, wait, max_extra, interval, stat
        self.own, self.max_others = own, max_others
        self.samples: list[tuple[float, float, float]] = []
        """(monotonic time, busy jiffies of the timing CPUs, the sandbox's CPU seconds), while `own` answers."""
        self.quiet = Quiet()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def before(self) -> Quiet:
        """Wait, up to `wait` seconds, until the CPUs are quiet; record what was seen."""
        start = time.monotonic()
        while True:
            busy, steal = busy_share(self.cpus, 0.5, self.stat)
            if busy <= self.max_busy or time.monotonic() - start >= self.wait:
                break
            time.sleep(1.0)
        self.quiet = Quiet(waited=round(time.monotonic() - start, 1), busy_before=round(busy, 3),
                           steal=round(steal, 3))
        return self.quiet

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            # the timed program's threads, and this sampler reading the file, are expected to be running
            self.quiet.extra.append(max(0, runnable(self.stat) - self.threads - 1))
            if self.own is not None:
                mine = self.own()
                if mine is not None:
                    self.samples.append((time.monotonic(), cpu_times(self.cpus, self.stat).busy, mine))

    def __enter__(self) -> Guard:
        self.before()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        q = self.quiet
        reasons = []
        if q.busy_before > self.max_busy:
            reasons.append(f"the CPUs were {q.busy_before:.0%} busy before the timing (after waiting {q.waited:.0f} s)")
        # the first and last samples see the sandbox start and stop (a container's runtime processes); a timing
        # too short for enough samples in between is judged by the idle check before it alone
        inner = q.extra[TRIM:-TRIM] if len(q.extra) > 2 * TRIM else []
        window = self.samples[TRIM:-TRIM] if len(self.samples) > 2 * TRIM else []
        if len(window) >= MIN_SAMPLES:
            (t0, busy0, own0), (t1, busy1, own1) = window[0], window[-1]
            q.others = round(max(0.0, ((busy1 - busy0) / HZ - (own1 - own0)) / (t1 - t0)), 3)
            if q.others > self.max_others:
                reasons.append(f"other processes took {q.others:.2f} CPUs' worth of the timing's cores during the "
                               f"timing ({len(window)} samples)")
        elif len(inner) >= MIN_SAMPLES and statistics.median(inner) > self.max_extra:
            reasons.append(f"other tasks competed for the cores during the timing (median {statistics.median(inner):.0f} "
                           f"runnable beyond the timed program, {len(inner)} samples)")
        if q.steal > 0.1:
            reasons.append(f"the hypervisor took {q.steal:.0%} of the CPU time (steal)")
        q.reason = "; ".join(reasons)
