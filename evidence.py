"""The sandbox's evidence about one tree, typed: build, race check, output, tests, timing; and the original's baseline.

Each record serialises to the plain dict the transcript, the checkpoints and summary.json have always held
(transcript format 1), so runs written before these classes existed still read back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hpcagent.serial import Record


@dataclass
class Diagnostic(Record):
    """One compiler, linker or build-tool message; line 0 when the tool gives none."""

    file: str
    line: int
    column: int
    severity: str
    """error, warning, note or fatal."""
    message: str
    context: str = ""
    """Where it arose: "In function 'main'", the include chain, or the linker's "in function `main'"."""
    tool: str = "compiler"
    """compiler, linker, driver, make or cmake."""

    @property
    def is_error(self) -> bool:
        return self.severity in ("error", "fatal")

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "") if self.file else self.tool
        return f"{where}: {self.severity}: {self.message}"


@dataclass
class Build(Record):
    """One build step: did it succeed, the parsed diagnostics, the log's tail."""

    ok: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    log: str = ""
    """The end of the build's output (dropped from the copy kept in each attempt; the transcript has it)."""
    seconds: float = 0.0
    reason: str = ""
    """Why it failed, in words ('' when it did not)."""
    dropped: list[str] = field(default_factory=list)
    """The project's flags the compiler refused (gcc-only flags under clang), dropped by the compiler wrappers."""
    ignored: list[str] = field(default_factory=list)
    """The project's flags the compiler accepted but ignores (it said so)."""
    _nested: ClassVar[dict] = {"diagnostics": Diagnostic}

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


@dataclass
class RaceSite(Record):
    """One race ThreadSanitizer reported, folded by source-line pair (tools/tsan.py's Race, flattened)."""

    file: str
    line: int
    """The access shown first (the one with an exact line)."""
    other_file: str = ""
    other_line: int = 0
    kind: str = ""
    """e.g. write-read."""
    variable: str = ""
    location_kind: str = "unknown"
    """global, heap, stack or unknown."""
    location_name: str = ""
    location_text: str = ""
    heap_block_size: int | None = None
    threads: list[str] = field(default_factory=list)
    count: int = 1
    runtime_memory: bool = False
    summary: str = ""
    first: dict[str, Any] = field(default_factory=dict)
    """Both accesses in full (kind, size, thread, frames), as TSan reported them."""
    second: dict[str, Any] = field(default_factory=dict)
    source: str = "dynamic"
    """dynamic: ThreadSanitizer saw it in a run; static: the loop analysis proved it from the source and the
    directives (tools/loops/static_races.py), whatever the runs happened to execute."""
    missing: list[str] = field(default_factory=list)
    """For a static race: what would resolve it (a reduction, private or lastprivate clause, threadprivate); empty
    when no clause can (a dependence between iterations)."""

    @property
    def key(self) -> tuple[str, int, int]:
        """What identifies a race across runs: the file and both lines."""
        return self.file, self.line, self.other_line


@dataclass
class RaceRun(Record):
    """One run of the race-check build at one thread count."""

    threads: int
    repeat: int = 0
    exit_code: int | None = None
    seconds: float = 0.0
    races: int = 0
    """How many race reports this run printed."""
    ok: bool = True
    """The run ended normally (exit 0, or TSan's own exit code) within its timeout."""
    reason: str = ""
    stdout_tail: str = ""
    stderr_tail: str = ""
    schedule: str = ""
    """The OMP_SCHEDULE of a schedule-perturbation run (the changed loops built with schedule(runtime)); '' else."""


@dataclass
class RaceCheck(Record):
    """The race check of one tree: the TSan + Archer build, its runs, the races found in any of them."""

    build: Build
    runs: list[RaceRun] = field(default_factory=list)
    races: list[RaceSite] = field(default_factory=list)
    ran: bool = False
    """Every run ended normally."""
    clean: bool = False
    """Built, ran, and no race."""
    command: str = ""
    threads: list[int] = field(default_factory=list)
    """The thread counts asked for."""
    repeats: int = 1
    timed_out: bool = False
    """Some run was killed at its timeout (a racy program may never end); the races it printed before are kept."""
    _nested: ClassVar[dict] = {"build": Build, "runs": RaceRun, "races": RaceSite}

    @property
    def clean_threads(self) -> set[int]:
        """Thread counts with a run that ended normally and printed no race."""
        return {r.threads for r in self.runs if r.ok and not r.races}

    def describe(self) -> str:
        """One line saying which runs were made and what each found."""
        parts = [f"{r.threads} threads" + (f", schedule {r.schedule}" if r.schedule else "") + f" (run {r.repeat + 1}): "
                 + (f"{r.races} race reports" if r.ok else f"failed, {r.reason}") for r in self.runs]
        return "; ".join(parts) or "no run (the build failed)"

    def merged(self, other: RaceCheck) -> RaceCheck:
        """This check and another of the same program (a schedule-perturbation build) as one: every run, every race."""
        keys = {r.key for r in self.races}
        return RaceCheck(build=self.build if not self.build.ok or other.build.ok else other.build,
                         runs=self.runs + other.runs, races=self.races + [r for r in other.races if r.key not in keys],
                         ran=self.ran and other.ran, clean=self.clean and other.clean, command=self.command,
                         threads=self.threads, repeats=self.repeats, timed_out=self.timed_out or other.timed_out)


@dataclass
class Timing(Record):
    """Interleaved timing of the original (a) against a candidate (b); `error` set when a timed run failed."""

    error: str | None = None
    stderr_tail: str | None = None
    a: list[float] | None = None
    """Seconds of each run of the original, in the order run."""
    b: list[float] | None = None
    median_a: float | None = None
    median_b: float | None = None
    min_a: float | None = None
    max_a: float | None = None
    min_b: float | None = None
    max_b: float | None = None
    speedup: float | None = None
    """median a / median b."""
    speedup_min: float | None = None
    """The smallest and largest pairwise ratio a/b."""
    speedup_max: float | None = None
    beyond_noise: bool | None = None
    """Faster beyond the noise: every candidate run beat every original run (after a second round: the rank test
    of both rounds at rank_level), and speedup >= min_speedup."""
    verdict: str | None = None
    """faster, slower or within noise."""
    min_speedup: float | None = None
    rank_p: float | None = None
    """After a second round: the one-sided rank-sum p-value of both rounds' runs (sandbox/timer.py rank_p)."""
    rank_level: float | None = None
    """The level rank_p had to reach: the chance of one round's complete separation, 1 / C(2n, n)."""
    threads: int | None = None
    reps: int | None = None
    warmup: int | None = None
    order: str | None = None
    """The order the runs were made in, e.g. ABBAAB."""
    stdout_a: str | None = None
    stdout_b: str | None = None
    rounds: int | None = None
    """2 when a second round was timed and both were judged together."""
    unreliable: str | None = None
    """Why the machine was not quiet enough to trust this timing (sandbox/quiet.py); None when it was, or unguarded."""
    _omit_none: ClassVar[bool] = True

    @property
    def measured(self) -> bool:
        return self.error is None and self.speedup is not None

    def summary(self) -> str:
        """e.g. '1.85x (min 1.80, max 1.90) over 5 interleaved runs: faster'."""
        return (f"{self.speedup or 0:.2f}x (min {self.speedup_min or 0:.2f}, max {self.speedup_max or 0:.2f}) over "
                f"{self.reps} interleaved runs: {self.verdict}")


@dataclass
class OutputCheck(Record):
    """The candidate's stdout and named output files against the original's."""

    ok: bool
    diff: str | None = None
    """The first difference, in words."""


@dataclass
class TestRun(Record):
    """The project's test command on a tree."""

    ok: bool
    exit_code: int | None = None
    tail: str | None = None
    """The end of its output (candidates)."""
    seconds: float | None = None
    """How long it took (the baseline: candidate timeouts scale with it)."""
    _omit_none: ClassVar[bool] = True
    __test__: ClassVar[bool] = False  # not a pytest test class


@dataclass
class Refusal(Record):
    """Why the static analysis refused a change before any sandbox work (tools/loops/veto.py): the loop it shares
    out, what the analysis proved about it, and what would resolve it."""

    loop: str
    """The loop id (file:line)."""
    reason: str
    dependences: list[str] = field(default_factory=list)
    """The proven dependences: both accesses, their lines, the distance when known."""
    missing: list[str] = field(default_factory=list)
    """Clauses that resolve it (a reduction, private, lastprivate); empty when no clause can."""

    def text(self) -> str:
        more = [d for d in self.dependences if d not in self.reason][:3]
        deps = f" (also {'; '.join(more)})" if more else ""
        fix = f"; missing {', '.join(self.missing)}" if self.missing else ""
        return f"loop {self.loop}: {self.reason}{deps}{fix}"


STAGES = ("veto", "apply", "race_build", "race", "race_run", "build", "run", "output", "test", "timing", "passed")
"""The stages a change goes through, in order; `Evidence.stage` is the first that failed, or passed. veto: the static
analysis refused it (a proven dependence it leaves open) before any sandbox work."""


@dataclass
class Evidence(Record):
    """Everything the sandbox found about one candidate tree; it stops at the first stage that fails."""

    stage: str
    """One of STAGES: where it stopped ('passed' when nothing failed)."""
    error: str | None = None
    """Why it stopped, in words."""
    root: str | None = None
    """The tree it was run on (the critic reads the lines a race names from it)."""
    race: RaceCheck | None = None
    build: Build | None = None
    """The release build (absent when the race check already failed)."""
    output: OutputCheck | None = None
    test: TestRun | None = None
    timing: Timing | None = None
    refusal: Refusal | None = None
    """Set when the static analysis refused the change (stage veto)."""
    unexecuted: list[str] | None = None
    """The changed loops the race-check input never entered (so the race check says nothing about them); None
    when the original's coverage is unknown."""
    _nested: ClassVar[dict] = {"race": RaceCheck, "build": Build, "output": OutputCheck, "test": TestRun,
                               "timing": Timing, "refusal": Refusal}
    _omit_none: ClassVar[bool] = True

    @property
    def passed(self) -> bool:
        return self.stage == "passed"

    @property
    def speedup(self) -> float:
        """The measured speedup, 0.0 when there is none."""
        return (self.timing.speedup or 0.0) if self.timing else 0.0

    def slim(self) -> Evidence:
        """A copy without the bulky logs (the transcript keeps them in full), for the attempt records."""
        race = None
        if self.race is not None:
            race = RaceCheck.from_dict({**self.race.to_dict(), "build": {**self.race.build.to_dict(), "log": ""},
                                        "runs": [{**r.to_dict(), "stdout_tail": "", "stderr_tail": ""}
                                                 for r in self.race.runs]})
        build = Build.from_dict({**self.build.to_dict(), "log": ""}) if self.build else None
        timing = Timing.from_dict({**self.timing.to_dict(), "stdout_a": None, "stdout_b": None}) \
            if self.timing else None
        return Evidence(self.stage, self.error, self.root, race, build, self.output, self.test, timing, self.refusal,
                        self.unexecuted)


@dataclass
class OutputMask(Record):
    """What of one output stream is compared: the user's settings (test.ignore/only/tolerances) and what two or
    more runs of the original showed to change from run to run."""

    ignore: list[str] = field(default_factory=list)
    """Regular expressions: lines matching one are left out of every comparison."""
    only: list[str] = field(default_factory=list)
    """Regular expressions: when given, only lines matching one are compared."""
    tolerances: dict[str, float] = field(default_factory=dict)
    """Regular expression -> relative tolerance for the numbers of lines matching it."""
    lines: list[int] = field(default_factory=list)
    """Lines (0-based, counted after ignore/only) not compared at all: their text changed between the original's
    runs, or they report a timing, a rate or a time of day."""
    numbers: list[list[int]] = field(default_factory=list)
    """[line, n]: the n-th number of that line is not compared (it changed between the original's runs)."""
    notes: list[str] = field(default_factory=list)
    """What was left out and why, in words, for the report."""

    def kept(self, text: str) -> list[str]:
        """The lines of text a comparison looks at (blank ones and the user's ignored ones left out)."""
        out = []
        for line in text.splitlines():
            if not line.strip() or any(re.search(p, line) for p in self.ignore):
                continue
            if self.only and not any(re.search(p, line) for p in self.only):
                continue
            out.append(line.strip())
        return out

    def rtol_for(self, line: str, rtol: float) -> float:
        return next((tol for p, tol in self.tolerances.items() if re.search(p, line)), rtol)


@dataclass
class Baseline(Record):
    """The original program's run: what every candidate is compared with."""

    seconds: float
    """The release build's run time (candidate timeouts scale with it)."""
    stdout: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    """The named output files' contents."""
    test: TestRun | None = None
    races: list[RaceSite] = field(default_factory=list)
    """Races the original already has (not held against a candidate)."""
    race_runs: list[RaceRun] = field(default_factory=list)
    executed: dict[str, list[int]] | None = None
    """The lines the race-check input executes, per file (None without coverage: see coverage_error)."""
    coverage_error: str = ""
    flags: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Per build variant ('release', 'race'): the project's flags its compiler refused ('dropped') or ignores."""
    masks: dict[str, dict] = field(default_factory=dict)
    """What of each output is compared ('stdout', 'race' for the race-check input's stdout, each output file):
    tools/compare.OutputMask as a dict, learned from two runs of the original and the config."""
    _nested: ClassVar[dict] = {"test": TestRun, "races": RaceSite, "race_runs": RaceRun}

    def mask(self, name: str):
        """The OutputMask of one output (an empty one when none was learned: everything is compared)."""
        return OutputMask.from_dict(self.masks.get(name) or {})

    @property
    def known_races(self) -> set[tuple[str, int, int]]:
        return {r.key for r in self.races}
