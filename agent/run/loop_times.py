"""Loop timers: the own time of loops too small to show in the whole program's time.

A loop that is 1% of a run can at most make the program 1.005x faster on two threads: no whole-program timing on a
noisy machine tells that from nothing, yet on the many cores of a cluster node the same serial 1% caps the speedup
(Amdahl), which is why experts parallelize such loops too. For the loops of the small loops' set
(agent/run/remainder.py) whose set passed every check but left the program's time within the noise, hpcagent times
the loops themselves: a copy of the reference program and a copy with the set, both with a timer around each loop
of the set (`omp_get_wtime` before and after, summed per loop, printed to stderr when the program exits), built with
the release flags and run interleaved like any timing. A loop whose own time is faster beyond the noise, by
budget.min_loop_speedup at least, may join the final program, which is then checked again (race check, output,
tests) and must not be slower than the program without it. The timer lines never reach the patch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hpcagent.evidence import Timing
from hpcagent.records import Edit, LoopTarget
from hpcagent.sandbox.timer import summarize

MARK = "hpcagent-loop-time"
"""The first word of each line a timed program prints at exit: MARK file:line seconds entries."""


def header(names: Sequence[str]) -> str:
    """The declarations every timed file starts with (guarded: a file included into another is timed once)."""
    n = len(names)
    table = ", ".join('"' + name.replace("\\", "/").replace('"', "'") + '"' for name in names)
    return ("#ifndef HPCAGENT_LOOP_TIMERS\n#define HPCAGENT_LOOP_TIMERS\n#include <omp.h>\n#include <stdio.h>\n"
            f"static double hpcagent_spent_[{n}];\nstatic long hpcagent_entries_[{n}];\n"
            f"static const char *const hpcagent_names_[{n}] = {{{table}}};\n"
            "__attribute__((destructor, unused)) static void hpcagent_print_times_(void)\n{\n    int i;\n"
            f"    for (i = 0; i < {n}; ++i)\n        if (hpcagent_entries_[i])\n"
            f'            fprintf(stderr, "{MARK} %s %.9f %ld\\n", hpcagent_names_[i], hpcagent_spent_[i], '
            "hpcagent_entries_[i]);\n}\n#endif\n")


def start_line(lines: Sequence[str], line: int) -> int:
    """Where a loop's timer starts: before the loop's line and any pragma lines right above it (a pragma belongs to
    the statement after it)."""
    at = line
    while at > 1 and lines[at - 2].lstrip().startswith(("#pragma", "_Pragma")):
        at -= 1
    return at


def timer_edits(targets: Sequence[LoopTarget], lines_of) -> list[Edit]:
    """The timer lines of each loop (its index in targets is its slot), in original line numbers; lines_of(file)
    gives a file's lines. Each loop becomes a block: the clock read before it, the time added after it."""
    names = [t.loop_id for t in targets]
    at: dict[tuple[str, int], list[str]] = {(f, 1): [header(names)] for f in dict.fromkeys(t.file for t in targets)}
    ends = [((t.file, t.end_line + 1), f"hpcagent_spent_[{k}] += omp_get_wtime() - hpcagent_t{k}_; "
                                        f"++hpcagent_entries_[{k}]; }}\n") for k, t in enumerate(targets)]
    starts = [((t.file, start_line(lines_of(t.file), t.line)), f"{{ double hpcagent_t{k}_ = omp_get_wtime();\n")
              for k, t in enumerate(targets)]
    for key, text in ends + starts:  # where one loop ends and the next begins, its end goes first
        at.setdefault(key, []).append(text)
    return [Edit(f, pos, pos - 1, "".join(texts)) for (f, pos), texts in at.items()]


def with_timers(edits: Sequence[Edit], timers: Sequence[Edit]) -> list[Edit]:
    """A change's edits and the timer lines as one list that applies: a timer line inserted where the change also
    inserts (its pragma above the loop, or the next loop's) goes first, in the same edit."""
    out = list(edits)
    for tm in timers:
        same = next((i for i, e in enumerate(out) if e.file == tm.file and e.start_line == tm.start_line
                     and e.end_line == tm.start_line - 1), None)
        if same is None:
            out.append(tm)
        else:
            out[same] = Edit(tm.file, tm.start_line, tm.end_line, tm.new_text + out[same].new_text)
    return out


def read_times(stderr: str) -> dict[str, tuple[float, int]]:
    """loop id -> (seconds, entries) from one run's stderr."""
    out: dict[str, tuple[float, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith(MARK + " "):
            continue
        words = line[len(MARK) + 1:].rsplit(None, 2)  # the loop id may hold spaces (a path with a space)
        try:
            out[words[0]] = (float(words[1]), int(words[2]))
        except (ValueError, IndexError):
            continue
    return out


def judge(names: Sequence[str], runs: Sequence[tuple[str, str]], min_speedup: float) -> dict[str, Timing | str]:
    """Each loop's own timing from the interleaved runs ((side 'a' reference or 'b' candidate, stderr) each):
    the real timer's summary of its seconds per run, or why there is none."""
    read = [(side, read_times(err)) for side, err in runs]
    out: dict[str, Timing | str] = {}
    for name in names:
        a = [t[name][0] for side, t in read if side == "a" and name in t]
        b = [t[name][0] for side, t in read if side == "b" and name in t]
        runs_a, runs_b = sum(side == "a" for side, _ in read), sum(side == "b" for side, _ in read)
        if not a and not b:
            out[name] = "the timed run never ran the loop (or its stderr was not kept)"
        elif len(a) < runs_a or len(b) < runs_b:
            out[name] = f"the loop's timer printed in {len(a)} of {runs_a} reference runs and {len(b)} of " \
                        f"{runs_b} runs with the change"
        elif min(a + b) <= 0.0:
            out[name] = "the loop took no measurable time"
        else:
            out[name] = summarize(a, b, min_speedup)
    return out


def describe(name: str, t: Timing | str) -> str:
    """One loop's own timing as the report and the transcript say it."""
    if isinstance(t, str):
        return f"{name}: no own time ({t})"
    return (f"{name}: its own time {t.speedup:.2f}x (min {t.speedup_min:.2f}, max {t.speedup_max:.2f}; median "
            f"{t.median_a:.4f} s -> {t.median_b:.4f} s), {t.verdict}")


def own_time_lines(rows: Sequence[dict]) -> list[str]:
    """The report's sentence on the loops accepted on their own time (summary rows with `own_time`)."""
    own = [r for r in rows if r.get("own_time")]
    if not own:
        return []
    each = "; ".join(f"`{r['loop']}` {t['speedup']:.2f}x (min {t['speedup_min']:.2f}, max {t['speedup_max']:.2f}; "
                     f"median {t['median_a']:.4f} s -> {t['median_b']:.4f} s per run)"
                     for r in own for t in [r["own_time"]])
    return [f"{len(own)} of them not faster beyond the noise in the whole program's time, accepted on their own "
            f"time: a timer around each loop, in the program without the change and with it, timed interleaved "
            f"(the timers are not in the patch): {each}. The program with them was checked again (race check, "
            f"output, tests) and was not slower."]


def runs_of(sandbox, work: Path, ref: str, cand: str, cfg, base) -> list[tuple[str, str]] | str:
    """Build the two timed copies (release flags) and run them interleaved on the timing CPUs; (side, stderr) of
    each timed run, or why not."""
    from hpcagent.agent.run.lab import limits_from, run_steps
    from hpcagent.sandbox.timer import time_interleaved

    for tree in (ref, cand):
        bad = next((r for r in sandbox.run(work, run_steps(cfg, work, tree, False, base)[:-1]) if not r.ok), None)
        if bad is not None:
            return f"the copy of {'the reference' if tree == ref else 'the set'} with loop timers does not build: " \
                   f"{bad.reason or 'exit ' + str(bad.exit_code)}"
    streams: list[tuple[str, str]] = []
    timing = time_interleaved(sandbox, work, {"cwd": ref, "cmd": cfg.run.command}, {"cwd": cand, "cmd": cfg.run.command},
                              threads=cfg.threads.count, reps=cfg.budget.timing_reps, warmup=0,
                              timeout=limits_from(cfg, base)["run"], min_speedup=cfg.budget.min_speedup,
                              quiet_wait=cfg.budget.quiet_wait if cfg.budget.quiet_wait > 0 else None, streams=streams)
    if not timing.measured:
        return f"the timed runs with loop timers failed: {timing.error}"
    if timing.unreliable:
        return f"the timing with loop timers is unreliable: {timing.unreliable}"
    return streams

