"""Interleaved timing: baseline and candidate alternate (A B B A ...) after a warm-up, in one pinned container."""

from __future__ import annotations

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


def summarize(times_a: list[float], times_b: list[float], min_speedup: float = 1.05, set_aside: int = 0) -> Timing:
    """Median, min, max of each side; speedup = median A / median B with the spread of pairwise ratios.

    set_aside: how many of each side's most extreme runs (the slowest candidate runs, the fastest baseline runs) the
    "faster" test leaves out: 0 for one round; 1 once a second round has doubled the runs, so that one hiccup of a
    shared machine cannot veto a gain that every other run shows. min, max and the ratios keep every run.
    """
    ratios = sorted(a / b for a, b in zip(times_a, times_b) if b > 0)
    med_a, med_b = statistics.median(times_a), statistics.median(times_b)
    speedup = med_a / med_b if med_b > 0 else float("inf")
    # Beyond the noise: every candidate run beat every baseline run, and the median gain is worth having.
    k = max(0, min(set_aside, len(times_a) // 4, len(times_b) // 4))
    faster = sorted(times_b)[-1 - k] < sorted(times_a)[k] and speedup >= min_speedup
    slower = min(times_b) > max(times_a)
    verdict = "faster" if faster else "slower" if slower else "within noise"
    return Timing(a=[round(t, 4) for t in times_a], b=[round(t, 4) for t in times_b],
                  median_a=round(med_a, 4), median_b=round(med_b, 4),
                  min_a=round(min(times_a), 4), max_a=round(max(times_a), 4),
                  min_b=round(min(times_b), 4), max_b=round(max(times_b), 4),
                  speedup=round(speedup, 3), speedup_min=round(ratios[0], 3), speedup_max=round(ratios[-1], 3),
                  beyond_noise=faster, verdict=verdict, min_speedup=min_speedup, set_aside=k)


def second_round(first: Timing, second: Timing, min_speedup: float) -> Timing:
    """Both rounds' runs judged together, one outlier per side set aside (see summarize); the first round's
    metadata is kept, reps counts both rounds."""
    if not second.measured:
        return first
    both = summarize(first.a + second.a, first.b + second.b, min_speedup, set_aside=1)
    return replace(both, threads=first.threads, warmup=first.warmup, order=first.order, stdout_a=first.stdout_a,
                   stdout_b=first.stdout_b, reps=(first.reps or len(first.a)) + (second.reps or len(second.a)),
                   rounds=2, unreliable=first.unreliable or second.unreliable)


def time_interleaved(sandbox, workdir: Path, a: dict, b: dict, *, threads: int = 2, reps: int = 5,
                     warmup: int = 1, timeout: float = 300, min_speedup: float = 1.05,
                     limits: Limits | None = None, quiet_wait: float | None = None) -> Timing:
    """Time a = {cwd, cmd, env} against b alternately; return the summary, or a Timing with only `error`.

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
