"""hpcagent.toml: typed, documented, validated (errors name the key); CLI flags override any key."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import tomllib

from hpcagent.errors import ConfigError

CONFIG_NAME = "hpcagent.toml"


@dataclass
class BuildCfg:
    command: str = ""
    """How to build: 'make [ARGS]', 'cmake', or any command (CC/CXX/CFLAGS/CXXFLAGS/LDFLAGS are set). '' = detect."""
    cc: str = "gcc"
    """C compiler of the release (timed) build; the race build always uses clang-16 + TSan."""
    cxx: str = ""
    """C++ compiler of the release build ('' = the one that goes with cc)."""
    cflags: str = "-O3 -fopenmp"
    """Flags of the release build (baseline and candidates alike)."""
    timeout: float = 900.0


@dataclass
class RunCfg:
    command: str = ""
    """The workload to profile and time, run from the repository root, e.g. './app 2000 700'."""
    race_command: str = ""
    """A smaller input for the race check (TSan runs 5-15x slower); '' = the run command."""
    timeout: float = 600.0
    """Seconds one run may take before it is killed (a hang is reported, never waited out)."""
    outputs: list[str] = field(default_factory=list)
    """Files the run writes that must match the baseline's (stdout always must)."""


@dataclass
class TestCfg:
    command: str = ""
    """The project's test command, e.g. 'make test'; '' = compare the run's outputs with the baseline."""
    rtol: float = 1e-6
    """Relative tolerance for numbers in outputs (parallel sums reorder floating-point additions)."""
    atol: float = 1e-9
    timeout: float = 900.0


@dataclass
class SearchCfg:
    sources: list[str] = field(default_factory=list)
    """Globs of the sources to consider, relative to the root ([] = every C/C++ file)."""
    exclude: list[str] = field(default_factory=list)
    max_targets: int = 6
    """How many loops to try, hottest first."""
    min_share: float = 0.01
    """With a profile, skip loops in functions under this share of the run time."""
    unproven: bool = True
    """Also try loops the analysis could not prove parallel only because of a possible dependence or aliasing
    between memory accesses (after the proven candidates); the sandbox's race check, tests and output comparison
    are then the only evidence, and the report marks such changes. false = proven candidates only."""


@dataclass
class ThreadsCfg:
    count: int = 2
    """Threads of the timed runs (baseline runs at the same CPU set)."""
    race: list[int] = field(default_factory=lambda: [2, 4])
    """Thread counts of the race-check runs (one run each)."""


@dataclass
class BudgetCfg:
    attempts: int = 4
    """Attempts per loop before it is given up."""
    wall_minutes: float = 480.0
    """Wall-clock budget of the whole run; when spent, the run composes what it has and reports."""
    timing_reps: int = 5
    min_speedup: float = 1.02
    """A change must make the whole program at least this much faster, and beyond the noise (every timed run of
    the candidate faster than every run of the original); a loop with a small share of the time gains little."""
    explore: int = 1
    """After an acceptance well below what the loop's share allows, try this many more candidates; keep the best."""


@dataclass
class AgentCfg:
    planner: str = "analysis"
    """analysis | llm | scripted:FILE"""
    critic: str = "rules"
    """rules | llm (the model explains; the rules still decide)"""
    model: str = "smollm2"
    """For the LLM planner/critic: smollm2 | transformers:PATH | openai:MODEL | scripted:FILE"""
    sandbox: str = "auto"
    """auto | docker | local"""
    out: str = ".hpcagent/runs"
    """Where runs are written (relative paths are relative to the current directory)."""


@dataclass
class Config:
    build: BuildCfg = field(default_factory=BuildCfg)
    run: RunCfg = field(default_factory=RunCfg)
    test: TestCfg = field(default_factory=TestCfg)
    search: SearchCfg = field(default_factory=SearchCfg)
    threads: ThreadsCfg = field(default_factory=ThreadsCfg)
    budget: BudgetCfg = field(default_factory=BudgetCfg)
    agent: AgentCfg = field(default_factory=AgentCfg)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> Config:
        cfg = cls()
        for section, values in data.items():
            if section not in {f.name for f in fields(cls)}:
                raise ConfigError(f"{source}: unknown section [{section}]",
                                  f"use one of: {', '.join(f.name for f in fields(cls))}")
            if not isinstance(values, dict):
                raise ConfigError(f"{source}: [{section}] must be a table", f"write it as [{section}] with keys under it")
            for key, value in values.items():
                set_key(cfg, f"{section}.{key}", value, source)
        return cfg


def _coerce(key: str, value: Any, current: Any, source: str) -> Any:
    """Check a value against the type of the default it replaces."""
    kind = type(current)
    if isinstance(current, bool) or kind is str:
        ok = isinstance(value, kind)
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is list:
        ok = isinstance(value, list) and all(isinstance(v, type(current[0]) if current else (str, int))
                                             for v in value)
    else:
        ok = True
    if not ok:
        raise ConfigError(f"{source}: key {key} must be {kind.__name__}, got {value!r}",
                          f"fix `{key.split('.')[1]} = ...` under [{key.split('.')[0]}]")
    return value


def set_key(cfg: Config, key: str, value: Any, source: str = "flag") -> None:
    """Set 'section.key' with type checking; unknown keys are errors that name the key."""
    section, _, name = key.partition(".")
    part = getattr(cfg, section, None)
    if part is None or name not in {f.name for f in fields(part)}:
        known = ", ".join(f.name for f in fields(part)) if part is not None else ""
        raise ConfigError(f"{source}: unknown key {key}", f"known keys of [{section}]: {known}" if known else "")
    setattr(part, name, _coerce(key, value, getattr(part, name), source))


def load_config(root: Path, path: Path | None = None, overrides: dict[str, Any] | None = None) -> tuple[Config, str]:
    """Read ROOT/hpcagent.toml (or PATH) and apply overrides; return the config and where it came from."""
    path = path or Path(root) / CONFIG_NAME
    if Path(path).exists():
        try:
            data = tomllib.loads(Path(path).read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}", "fix the syntax at the line and column given") from exc
        cfg, origin = Config.from_dict(data, str(path)), str(path)
    else:
        cfg, origin = Config(), "defaults (no hpcagent.toml)"
    for key, value in (overrides or {}).items():
        if value is not None:
            set_key(cfg, key, value, "flag")
    if cfg.threads.count < 1 or not cfg.threads.race or min(cfg.threads.race) < 1:
        raise ConfigError("threads.count and threads.race must be positive", "e.g. count = 2, race = [2, 4]")
    if cfg.budget.attempts < 1:
        raise ConfigError("budget.attempts must be at least 1", "e.g. attempts = 4")
    return cfg, origin


TEMPLATE = '''# hpcagent configuration ({detected}). Every key can be overridden on the command line.

[build]
command = "{build}"      # make [ARGS] | cmake | any command; hpcagent sets CC/CXX/CFLAGS/CXXFLAGS/LDFLAGS
# cc = "gcc"              # release (timed) build compiler; the race check always uses clang-16 + TSan
# cflags = "-O3 -fopenmp"

[run]
command = "{run}"         # the workload to profile and time (a few seconds serially is ideal)
# race_command = ""       # a smaller input for the race check (TSan is 5-15x slower)
# timeout = 600           # seconds before a run is killed
# outputs = []            # files the run writes that must match the original's

[test]
command = "{test}"        # the project's tests; empty = compare the run's outputs with the original's
# rtol = 1e-6             # numeric tolerance when comparing outputs
# atol = 1e-9

[search]
# sources = []            # globs of files to consider (default: every C/C++ file)
# max_targets = 6         # loops to try, hottest first
# unproven = true         # also try loops the analysis could not prove (possible dependence or aliasing), after
#                         # the proven candidates; only the race check, tests and outputs vouch for them

[threads]
# count = 2               # threads of the timed runs
# race = [2, 4]           # thread counts of the race-check runs

[budget]
# attempts = 4            # attempts per loop
# wall_minutes = 480      # the whole run
# min_speedup = 1.02      # accept only changes at least this much faster, and beyond the noise
# explore = 1             # after a modest acceptance, try this many more candidates and keep the best

[agent]
# planner = "analysis"    # analysis | llm | scripted:FILE
# model = "smollm2"       # smollm2 | transformers:PATH | openai:MODEL | scripted:FILE
# sandbox = "auto"        # auto | docker | local
'''
