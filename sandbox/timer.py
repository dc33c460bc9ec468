"""Interleaved timing: baseline and candidate alternate (A B B A ...) after a warm-up, in one pinned container."""

from __future__ import annotations

import math
import statistics
from dataclasses import replace
from pathlib import Path

from hpcagent.evidence import Timing
from hpcagent.sandbox.backends.container import usable_cpus
from hpcagent.sandbox.cores import exclusive
from hpcagent.sandbox.quiet import Guard, container_cpu
from hpcagent.sandbox.steps import Limits, Step


def order(reps: int) -> list[str]:
    """A B B A A B ...: each side goes first as often as the other, so drift favours neither."""
    seq: list[str] = []
    for i in range(reps):
        seq += ["a", "b"] if i % 2 == 0 else ["b", "a"]
    return seq


def summarize(times_a: list[float], times_b: list[float], min_speedup: float = 1.05) -> Timing:
    """Median, min, max of each side; speedup = median A / median B with the spread of pairwise ratios.

    One round is "faster" only when every candidate run beat every original run and the median gain reaches
    min_speedup (second_round judges two rounds together with a rank test at the same significance)."""
    ratios = sorted(a / b for a, b in zip(times_a, times_b) if b > 0)
    med_a, med_b = statistics.median(times_a), statistics.median(times_b)
    speedup = med_a / med_b if med_b > 0 else float("inf")
    faster = max(times_b) < min(times_a) and speedup >= min_speedup
    slower = min(times_b) > max(times_a)
    verdict = "faster" if faster else "slower" if slower else "within noise"
    return Timing(a=[round(t, 4) for t in times_a], b=[round(t, 4) for t in times_b],
                  median_a=round(med_a, 4), median_b=round(med_b, 4),
                  min_a=round(min(times_a), 4), max_a=round(max(times_a), 4),
                  min_b=round(min(times_b), 4), max_b=round(max(times_b), 4),
                  speedup=round(speedup, 3), speedup_min=round(ratios[0], 3), speedup_max=round(ratios[-1], 3),
                  beyond_noise=faster, verdict=verdict, min_speedup=min_speedup)


def rank_p(times_a: list[float], times_b: list[float]) -> float:
    """One-sided exact rank-sum (Mann-Whitney) p-value for "the candidate's runs (b) are faster than the
    original's (a)": the chance, with no difference at all, that the runs would interleave at least this well.

    U counts the pairs (a, b) where the candidate run is not faster (a tie counts one half, rounded up: the
    conservative side). With no overlap U is 0 and p is 1 / C(n + m, n), e.g. 1/252 for 5 runs a side."""
    n, m = len(times_a), len(times_b)
    if not n or not m:
        return 1.0
    u = math.ceil(sum(1.0 if b > a else 0.5 if b == a else 0.0 for a in times_a for b in times_b))
    # ways[i][k][v]: orders of i original and k candidate runs with U = v. The slowest of them is a candidate
    # run (slower than all i original runs: v grows by i) or an original run (v unchanged).
    ways = [[[1] for _ in range(m + 1)] for _ in range(n + 1)]
    for i in range(1, n + 1):
        for k in range(1, m + 1):
            left, up = ways[i][k - 1], ways[i - 1][k]
            ways[i][k] = [(left[v - i] if 0 <= v - i < len(left) else 0) + (up[v] if v < len(up) else 0)
                          for v in range(i * k + 1)]
    total = math.comb(n + m, n)
    return sum(ways[n][m][: u + 1]) / total


def second_round(first: Timing, second: Timing, min_speedup: float) -> Timing:
    """Both rounds' runs judged together at the first round's own significance.

    One round calls a candidate faster only when every candidate run beat every original run: with n runs a side
    that happens by chance with probability 1 / C(2n, n) (1/252 for 5). The second round asks the rank-sum test
    the same question of all 2n runs a side and accepts at that same level, so a few runs of a noisy machine that
    cross over no longer veto a gain the others show, while a true tie is still as unlikely to pass as before.
    min, max and the ratios keep every run; the first round's metadata is kept, reps counts both rounds."""
    if not second.measured:
        return first
    level = 1 / math.comb(len(first.a or []) + len(first.b or []), len(first.a or []))
    both = summarize(first.a + second.a, first.b + second.b, min_speedup)
    p = rank_p(both.a, both.b)
    faster = p <= level and (both.speedup or 0) >= min_speedup
    verdict = "faster" if faster else both.verdict if both.verdict == "slower" else "within noise"
    return replace(both, threads=first.threads, warmup=first.warmup, order=first.order, stdout_a=first.stdout_a,
                   stdout_b=first.stdout_b, reps=(first.reps or len(first.a)) + (second.reps or len(second.a)),
                   rounds=2, unreliable=first.unreliable or second.unreliable, beyond_noise=faster, verdict=verdict,
                   rank_p=round(p, 6), rank_level=round(level, 6))


def time_interleaved(sandbox, workdir: Path, a: dict, b: dict, *, threads: int = 2, reps: int = 5,
                     warmup: int = 1, timeout: float = 300, min_speedup: float = 1.05,
                     limits: Limits | None = None, quiet_wait: float | None = None,
                     streams: list | None = None) -> Timing:
    """Time a = {cwd, cmd, env} against b alternately; return the summary, or a Timing with only `error`.
    streams: when given, (side 'a' or 'b', stderr) of each timed run is appended to it (agent/run/loop_times.py).

    quiet_wait: when set, wait up to that many seconds for the timing CPUs to be idle and watch the load during
    the timing (sandbox/quiet.py); a disturbed timing comes back with `unreliable` saying why."""
    limits = limits or Limits()
    limits.cpus = tuple(range(threads))
    # The runtime's default wait policy, as users run: a passive policy made frequent parallel regions ~20% slower.
    omp = {"OMP_NUM_THREADS": str(threads), "OMP_PROC_BIND": "true"}

    def step(side: dict, name: str) -> Step:
        return Step(name, side["cmd"], env={**omp, **side.get("env", {})}, cwd=side.get("cwd", "."),
                    timeout=timeout, stop_on_failure=True)

    steps = [step(s, f"warmup-{n}") for _ in range(warmup) for n, s in (("a", a), ("b", b))]
    seq = order(reps)
    steps += [step(a if side == "a" else b, f"time-{side}-{i}") for i, side in enumerate(seq)]
    with exclusive():  # no other hpcagent process on this machine builds or runs on the cores meanwhile
        results = _timed_run(sandbox, workdir, steps, limits, threads, quiet_wait)
        guard = results.pop()
    bad = next((r for r in results if not r.ok), None)
    if bad is not None:
        return Timing(error=f"{bad.name} ({bad.cmd}) failed: {bad.reason or 'exit ' + str(bad.exit_code)}",
                      stderr_tail=bad.stderr[-1500:])
    timed = results[2 * warmup:]
    times_a = [r.seconds for r, side in zip(timed, seq) if side == "a"]
    times_b = [r.seconds for r, side in zip(timed, seq) if side == "b"]
    if streams is not None:
        streams += [(side, r.stderr) for r, side in zip(timed, seq)]
    return replace(summarize(times_a, times_b, min_speedup), threads=threads, reps=reps, warmup=warmup,
                   order="".join(seq).upper(), stdout_a=timed[seq.index("a")].stdout[-4000:],
                   stdout_b=timed[seq.index("b")].stdout[-4000:],
                   unreliable=(guard.quiet.reason or None) if guard is not None else None)


def _timed_run(sandbox, workdir: Path, steps: list[Step], limits: Limits, threads: int, quiet_wait: float | None):
    """The sandbox run of a timing, under the quiet guard when quiet_wait is set; the guard (or None) comes last."""
    guard = None
    if quiet_wait is not None:
        cpus = tuple(usable_cpus(limits.cpus))
        own = None
        if hasattr(sandbox, "last_container_id"):  # Docker: the container's own CPU time, from its cgroup
            sandbox.last_container_id = None
            own = lambda: container_cpu(sandbox.last_container_id)  # noqa: E731
        with Guard(cpus, threads, wait=quiet_wait, own=own) as guard:
            results = sandbox.run(Path(workdir), steps, limits)
    else:
        results = sandbox.run(Path(workdir), steps, limits)
    return [*results, guard]
