"""Is the machine quiet enough to time on? What else uses the cores before and during a timing.

A timing compares the original with a candidate run by run; another job on the same cores slows whichever runs
while it does and turns a real gain into "slower". Before a timing this module samples /proc/stat over a short
window (the share of the timing's CPUs busy with anything, and steal time from a hypervisor) and waits, up to a
bound, for them to be idle. During the timing a thread samples the number of runnable tasks (procs_running): the
timed program accounts for at most `threads` of them, the sampler for one; more than that, most of the time, means
someone else wants the cores. A timing taken so is marked unreliable and is neither an acceptance nor a rejection.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

STAT = Path("/proc/stat")
TRIM = 3
"""Samples left out at each end of a timing: the sandbox starting and stopping."""
MIN_SAMPLES = 6
"""Samples a timing needs (after trimming) before the load during it is judged."""


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
    """Runnable tasks beyond the timed program and the sampler, sampled during the timing."""
    reason: str = ""
    """Why the timing cannot be trusted; '' when it can."""

    @property
    def reliable(self) -> bool:
        return not self.reason


class Guard:
    """Wait for quiet before a timing and watch the load during it.

    max_busy: share of the timing CPUs that may be busy before it starts; wait: seconds to wait for that at most;
    max_extra: how many extra runnable tasks, as the median of the samples, the timing tolerates."""

    def __init__(self, cpus: tuple[int, ...], threads: int, max_busy: float = 0.3, wait: float = 60.0,
                 max_extra: float = 0.5, interval: float = 0.1, stat: Path = STAT):
        self.cpus, self.threads = cpus, threads
        self.max_busy, self.wait, self.max_extra, self.interval, self.stat = max_busy, wait, max_extra, interval, stat
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
        if len(inner) >= MIN_SAMPLES and statistics.median(inner) > self.max_extra:
            reasons.append(f"other tasks competed for the cores during the timing (median {statistics.median(inner):.0f} "
                           f"runnable beyond the timed program, {len(inner)} samples)")
        if q.steal > 0.1:
            reasons.append(f"the hypervisor took {q.steal:.0%} of the CPU time (steal)")
        q.reason = "; ".join(reasons)
