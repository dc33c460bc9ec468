"""FakeLab: the Lab seam scripted, for tests and demos of the run's logic without a container engine.

It reads the candidate tree it is given like the real lab does: the lines a change added (against work/orig) are
matched against scripted outcomes, the first outcome whose `match` text appears in an added line decides the
evidence. An outcome is a dict:

    {"match": "reduction(+:s)",   # text of an added line ('' matches any change)
     "stage": "passed",           # or race, race_build, build, run, output, test, timing
     "speedup": 1.8,              # passed / timing: the median speedup the timer reports
     "variable": "s",             # race: the racing variable (its line: the line after the first added one)
     "at": "app.c:7",             # optional, race: the race's line instead (a function the loop calls)
     "times": 1,                  # optional: the outcome holds for its first N matching checks, then the next one
     "loop": "app.c:26",          # optional: only for a change with a line added right above that original line
     "tree": "final"}             # optional: only for this tree (cand: one change; final: the composed program;
                                  # rest: the small loops' set on top of it, agent/run/remainder.py)

With no outcome matching, a change times at 1.0x, within the noise. `hpcagent optimize --sandbox fake:FILE` runs
with the outcomes of a JSON file: {"outcomes": [...], "profile": {...}, "baseline_seconds": 1.0, "delay": 0.0,
"loop_speedups": {"file.c:12": 1.8}} (the last: each loop's own time in the loop timers, agent/run/loop_times.py).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from hpcagent.agent.config import Config
from hpcagent.agent.run.loop_times import MARK
from hpcagent.errors import ConfigError
from hpcagent.evidence import Baseline, Build, Diagnostic, Evidence, OutputCheck, RaceCheck, RaceRun, RaceSite, Timing
from hpcagent.sandbox.timer import order, summarize
from hpcagent.tools.patch import added_lines

REPS = 5


class FakeLab:
    """Scripted profile, baseline and evidence; every evidence call is recorded in `calls`."""

    name = "fake"

    def __init__(self, outcomes: list[dict[str, Any]] | None = None, profile: dict[str, Any] | None = None,
                 baseline_seconds: float = 1.0, delay: float = 0.0, loop_speedups: dict[str, float] | None = None):
        self.outcomes = list(outcomes or [])
        self._profile = profile
        self.baseline_seconds = baseline_seconds
        self.delay = delay
        """Seconds each call sleeps (a kill -9 test needs steps that take time)."""
        self.used: dict[int, int] = {}
        """How often each outcome has decided a check (for `times`)."""
        self.calls: list[tuple[str, list[str]]] = []
        """(tree, the lines its change added) for each evidence call."""
        self.references: list[str] = []
        """The tree each evidence call was timed against (base: the original)."""
        self.loop_speedups = dict(loop_speedups or {})
        """loop id -> how much faster its own time is with the change (loop_times; 1.0 when not given)."""

    @classmethod
    def from_file(cls, path: str | Path) -> FakeLab:
        try:
            spec = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read the fake lab's outcomes from {path}: {exc}",
                              'give a JSON file {"outcomes": [{"match": ..., "stage": ..., "speedup": ...}]}') from exc
        return cls(spec.get("outcomes"), spec.get("profile"), spec.get("baseline_seconds", 1.0), spec.get("delay", 0.0),
                   spec.get("loop_speedups"))

    def profile(self, work: Path, cfg: Config) -> dict[str, Any]:
        time.sleep(self.delay)
        return dict(self._profile) if self._profile else {"error": "the fake lab has no profile"}

    def baseline(self, work: Path, cfg: Config) -> Baseline:
        time.sleep(self.delay)
        return Baseline(seconds=self.baseline_seconds, stdout="result 42\n",
                        race_runs=[RaceRun(threads=t) for t in cfg.threads.race])

    def evidence(self, work: Path, tree: str, cfg: Config, base: Baseline, reference: str | None = "base") -> Evidence:
        time.sleep(self.delay)
        self.references.append(reference)
        added = added_lines(work / "orig", work / tree)
        self.calls.append((tree, [text for _, _, text in added]))
        chosen = [o for o in self.outcomes if any(o.get("match", "") in text for _, _, text in added)
                  and (not o.get("loop") or o["loop"] in changed_loops(added))
                  and self.used.get(id(o), 0) < o.get("times", float("inf")) and o.get("tree", tree) == tree]
        if tree in ("final", "rest") and chosen:  # a composed program: the first failure of its changes, else the best gain
            failing = [o for o in chosen if o.get("stage", "passed") != "passed"]
            outcome = failing[0] if failing else max(chosen, key=lambda o: o.get("speedup", 1.0))
        else:
            outcome = chosen[0] if chosen else {"stage": "timing", "speedup": 1.0}
        self.used[id(outcome)] = self.used.get(id(outcome), 0) + 1
        ev = scripted(outcome, added, work / tree, cfg, base)
        if reference is None and ev.stage in ("passed", "timing"):  # not timed: every stage before it passed
            ev = replace(ev, stage="passed", timing=None, error=None)
        return ev

    def loop_times(self, work: Path, ref: str, cand: str, cfg: Config, base: Baseline) -> list[tuple[str, str]] | str:
        """The stderr of interleaved runs of the two timed copies: each loop named in the candidate's timer table
        at 20 ms (1% spread) in the reference and 20 ms / its scripted speedup with the change."""
        self.calls.append((cand, []))
        names = [n for f in sorted((work / cand).rglob("*")) if f.is_file() and f.suffix in (".c", ".cc", ".cpp")
                 for m in re.findall(r"hpcagent_names_\[\d+\] = \{(.*)\};", f.read_text(errors="replace"))
                 for n in re.findall(r'"([^"]+)"', m)]
        out = []
        for i, side in enumerate(order(REPS)):
            spent = {n: 0.02 * (1 + 0.01 * (i // 2 % 2)) / (self.loop_speedups.get(n, 1.0) if side == "b" else 1.0)
                     for n in dict.fromkeys(names)}
            out.append((side, "".join(f"{MARK} {n} {t:.6f} 10\n" for n, t in spent.items())))
        return out


def changed_loops(added: list[tuple[str, int, str]]) -> set[str]:
    """file:line (original numbering) of each line right below a block of added lines: the loops a change put a
    pragma on."""
    out = set()
    for file in {f for f, _, _ in added}:
        lines = sorted(n for f, n, _ in added if f == file)
        for k, n in enumerate(lines):
            if n + 1 not in lines:
                out.add(f"{file}:{n + 1 - (k + 1)}")
    return out


def scripted(outcome: dict[str, Any], added: list[tuple[str, int, str]], root: Path, cfg: Config,
             base: Baseline) -> Evidence:
    """The evidence an outcome describes, shaped as the real lab shapes it."""
    stage = outcome.get("stage", "passed")
    file, line = (added[0][0], added[0][1] + 1) if added else ("?", 0)
    if outcome.get("at"):  # a race placed elsewhere, in a function the changed loop calls
        file, _, at = str(outcome["at"]).rpartition(":")
        line = int(at)
    races = [RaceSite(file=file, line=line, other_file=file, other_line=line, kind="write-write",
                      variable=outcome.get("variable", ""), location_kind="stack")] if stage == "race" else []
    built = stage != "race_build"
    race = RaceCheck(build=Build(ok=built, reason="" if built else "build exited with 1"),
                     runs=[RaceRun(threads=t, races=len(races)) for t in cfg.threads.race] if built else [],
                     races=races, ran=built, clean=built and not races, command=cfg.run.race_command,
                     threads=list(cfg.threads.race))
    ev = Evidence(stage=stage, root=str(root), race=race)
    if stage in ("race_build", "race", "race_run"):
        ev.error = {"race_build": "build exited with 1", "race": f"{len(races)} race(s)",
                    "race_run": "race-check run failed: exited with 139"}[stage]
        return ev
    ev.build = Build(ok=stage != "build", diagnostics=[Diagnostic(file, line, 1, "error", "scripted build error")]
                     if stage == "build" else [], reason="build exited with 1" if stage == "build" else "")
    if stage in ("build", "run"):
        ev.error = ev.build.reason or "run failed: 139"
        return ev
    ev.output = OutputCheck(ok=stage != "output", diff="line 1: 42 != 41" if stage == "output" else None)
    if stage == "output":
        ev.error = "output differs from the original's: line 1: 42 != 41"
        return ev
    if stage == "test":
        ev.error = "tests fail: exit 1"
        return ev
    ev.timing = timing(base.seconds, float(outcome.get("speedup", 1.0)), cfg, stage == "passed")
    if stage != "passed":
        ev.error = f"{ev.timing.speedup}x: {ev.timing.verdict}"
    return ev


def timing(seconds: float, speedup: float, cfg: Config, beyond: bool) -> Timing:
    """Runs that say `speedup`, summarized by the real timer: the original at `seconds`, the candidate at
    seconds / speedup, a 1% spread; a change scripted to fail its timing is never beyond the noise."""
    a = [round(seconds * (1 + 0.01 * (i % 2)), 4) for i in range(REPS)]
    out = summarize(a, [round(x / speedup, 4) for x in a], cfg.budget.min_speedup)
    if (beyond and not out.beyond_noise) or (not beyond and out.beyond_noise):
        out = replace(out, beyond_noise=beyond, verdict="faster" if beyond else "within noise")
    return replace(out, threads=cfg.threads.count, reps=REPS, warmup=1, order="AB" * REPS)
