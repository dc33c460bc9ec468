"""hpcagent.toml: typed, documented, validated (errors name the key); CLI flags override any key."""

from __future__ import annotations

import json
import tomllib
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hpcagent.errors import ConfigError

CONFIG_NAME = "hpcagent.toml"

Positive = Annotated[int, Field(ge=1)]


class Section(BaseModel):
    """A table of hpcagent.toml: unknown keys and values of the wrong type are errors; the docstring under a field
    documents it (pydantic keeps it as the field's description)."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True, use_attribute_docstrings=True)


class BuildCfg(Section):
    command: str = ""
    """How to build: 'make [ARGS]', 'cmake', or any command (CC/CXX/CFLAGS/CXXFLAGS/LDFLAGS are set). '' = detect."""
    race_command: str = ""
    """How to build for the race check when the problem size is fixed at build time, e.g. 'make CLASS=S' or
    'make CFLAGS_EXTRA=-DSMALL' (the race check's TSan runs are 5-15x slower): used for the race check and its
    coverage run, with run.race_command; the timed build stays `command`. '' = `command`."""
    cc: str = "gcc"
    """C compiler of the release (timed) build; the race build always uses clang-16 + TSan."""
    cxx: str = ""
    """C++ compiler of the release build ('' = the one that goes with cc)."""
    cflags: str = "-O3 -fopenmp"
    """Flags of the release build (baseline and candidates alike)."""
    timeout: float = 900.0
    """Seconds one build may take."""


class RunCfg(Section):
    command: str = ""
    """The workload to profile and time, run from the repository root, e.g. './app 2000 700'."""
    race_command: str = ""
    """A smaller input for the race check (TSan runs 5-15x slower); '' = the run command."""
    timeout: float = 600.0
    """Seconds one run may take before it is killed (a hang is reported, never waited out)."""
    outputs: list[str] = []
    """Files the run writes that must match the baseline's (stdout always must)."""


class TestCfg(Section):
    command: str = ""
    """The project's test command, e.g. 'make test'; '' = compare the run's outputs with the baseline."""
    rtol: float = 1e-6
    """Relative tolerance for numbers in outputs (parallel sums reorder floating-point additions)."""
    atol: float = 1e-9
    """Absolute tolerance for numbers in outputs."""
    ignore: list[str] = []
    """Regular expressions: output lines matching one are never compared (e.g. '^Run on ', 'Total time')."""
    only: list[str] = []
    """Regular expressions: when given, only output lines matching one are compared (e.g. '^checksum')."""
    tolerances: dict[str, float] = {}
    """Regular expression -> relative tolerance for the numbers of the lines it matches, e.g. {"energy" = 1e-4}."""
    auto_ignore: bool = True
    """Run the original twice and leave out of comparisons the lines and numbers that changed between its own runs,
    and lines that read as a timing, a rate or a clock time (the report lists each). false = compare everything
    not in `ignore`."""
    timeout: float = 900.0
    """Seconds the test command may take."""


class SearchCfg(Section):
    sources: list[str] = []
    """Globs of the sources to consider, relative to the root ([] = every C/C++ file)."""
    exclude: list[str] = []
    """Globs of sources to leave alone."""
    max_targets: int = 6
    """How many loops to try, hottest first."""
    min_share: float = 0.01
    """With a profile, skip loops in functions under this share of the run time."""
    min_share_small: float = 0.001
    """A loop under min_share but at least this share may still join the set of small loops tried after compose
    (search.remainder; decided by its own time, budget.min_loop_speedup)."""
    remainder: bool = True
    """After compose, try the loops each too small to clear min_speedup alone (Amdahl) as one set on top of the
    accepted changes, timed against the program with them: once the hot loops are parallel, the serial rest is a
    larger share of what is left (agent/run/remainder.py). Proven changes that only add directives. false = never."""
    unproven: bool = True
    """Also try loops the analysis could not prove parallel only because of a possible dependence or aliasing
    between memory accesses (after the proven candidates); the sandbox's race check, tests and output comparison
    are then the only evidence, and the report marks such changes. false = proven candidates only."""


class ThreadsCfg(Section):
    count: Positive = 2
    """Threads of the timed runs (baseline runs at the same CPU set)."""
    race: list[Positive] = Field(default=[2, 3, 4], min_length=1)
    """Thread counts of the race-check runs: some races show only at an odd count or above the core count."""
    race_repeats: Positive = 3
    """Race-check runs per thread count (a race shows in some schedules only)."""
    schedules: list[str] = Field(default=["static,1", "dynamic,1"])
    """OMP_SCHEDULE values the changed loops are also race-checked under (built with schedule(runtime)), at each
    thread count: neighbouring iterations on different threads. [] = no schedule perturbation."""


class BudgetCfg(Section):
    attempts: Positive = 4
    """Attempts per loop before it is given up."""
    wall_minutes: float = 480.0
    """Wall-clock budget of the whole run; when spent, the run composes what it has and reports."""
    timing_reps: int = 5
    """Interleaved timed runs of the original and of each candidate."""
    min_speedup: float = 1.02
    """A change must make the whole program at least this much faster, and beyond the noise (every timed run of
    the candidate faster than every run of the original); a loop with a small share of the time gains little."""
    min_loop_speedup: float = 1.2
    """A loop of the small loops' set (search.remainder) whose set passes every check but leaves the program's time
    within the noise is accepted when its own time, timed with timers around it, is at least this much faster and
    beyond the noise (agent/run/loop_times.py); the final program must then not be slower. 0 = never: the set must
    make the whole program min_speedup faster."""
    explore: int = 1
    """After an acceptance well below what the loop's share allows, try this many more candidates; keep the best."""
    locality: int = 4
    """Locality rewrites of a nest (a better loop order, tilings of several sizes, unroll-and-jam, fusion, omp
    simd) tried after an accepted change on the same loop, one after another until a tile size does not beat the
    one before; 0 tries none."""
    quiet_wait: float = 60.0
    """Seconds a timing waits for the timing CPUs to be idle (sandbox/quiet.py); 0 times at once, unguarded."""
    quiet_retries: int = 2
    """Timings taken again, each after waiting for quiet, when another job used the cores during one; a timing
    still disturbed then is unreliable: the change is neither accepted nor rejected on it."""
    tentative: bool = True
    """A correct change whose median gain reaches min_speedup but stays within the noise alone is kept as tentative;
    the tentative changes are then timed together in compose and accepted only if the set is faster beyond the
    noise (small gains add up); false drops each alone."""


class AgentCfg(Section):
    planner: str = "analysis"
    """analysis | llm | scripted:FILE"""
    critic: str = "rules"
    """rules | llm (the model explains; the rules still decide)"""
    model: str = "smollm2"
    """For the LLM planner/critic: smollm2 | transformers:PATH | openai:MODEL | scripted:FILE (settings in [model])."""
    sandbox: str = "auto"
    """auto | docker | local | fake:FILE (scripted evidence from a JSON file, no engine: demos and tests)"""
    out: str = ".hpcagent/runs"
    """Where runs are written (relative paths are relative to the current directory)."""


class ModelCfg(Section):
    """How the LLM planner's and critic's model (agent.model) is called; a key a backend has no use for is ignored."""

    base_url: str = ""
    """The OpenAI-compatible server of openai:MODEL, e.g. 'http://127.0.0.1:8000/v1'; '' = $OPENAI_BASE_URL."""
    api_key_env: str = "OPENAI_API_KEY"
    """The NAME of the environment variable holding the API key (openai). The key itself is never stored in the
    config or written anywhere; when the variable is unset a placeholder is sent (local servers need no key)."""
    timeout: float = Field(default=120.0, gt=0)
    """Seconds one model call may take (openai; a local model runs in this process and is not cut short)."""
    retries: int = Field(default=4, ge=0)
    """Retries of a call after a rate limit (429), a server error (5xx), a timeout or a refused connection (openai)."""
    token_budget: Positive | None = None
    """Tokens (in + out) the planner's model, and the critic's, may each spend in one `optimize` or `resume`;
    unset = no limit (openai; local and scripted models cost nothing)."""
    temperature: float = Field(default=0.0, ge=0)
    """0 = greedy: the same prompt gets the same answer; above 0 samples (openai and local models)."""
    max_new_tokens: Positive | None = None
    """Most tokens one answer may have (openai and local models); unset = what the asker allows: the planner 300
    (96 with a local model), the critic 160."""


class Config(Section):
    """The whole hpcagent.toml, one attribute per table."""

    build: BuildCfg = Field(default_factory=BuildCfg)
    run: RunCfg = Field(default_factory=RunCfg)
    test: TestCfg = Field(default_factory=TestCfg)
    search: SearchCfg = Field(default_factory=SearchCfg)
    threads: ThreadsCfg = Field(default_factory=ThreadsCfg)
    budget: BudgetCfg = Field(default_factory=BudgetCfg)
    agent: AgentCfg = Field(default_factory=AgentCfg)
    model: ModelCfg = Field(default_factory=ModelCfg)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> Config:
        """Validate tables of keys (hpcagent.toml, run.json); a ConfigError names the first bad key."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _config_error(exc.errors()[0], data, source) from None

    def override(self, values: dict[str, Any], source: str = "flag") -> Config:
        """A copy with 'section.key' values replaced (CLI flags), validated like the file."""
        data = self.to_dict()
        for key, value in values.items():
            section, _, name = key.partition(".")
            if section not in data or not name:
                raise ConfigError(f"{source}: unknown key {key}",
                                  f"a key is SECTION.KEY, with SECTION one of: {', '.join(data)}")
            data[section][name] = value
        return Config.from_dict(data, source)


_WORDS = {str: ("a string", "strings"), int: ("a whole number", "whole numbers"), float: ("a number", "numbers"),
          bool: ("true or false", "true or false values")}


def _describe(kind: Any, plural: bool = False) -> str:
    """'a whole number', 'a list of strings'... for a field's type."""
    origin, args = get_origin(kind), get_args(kind)
    if origin is Annotated:
        return _describe(args[0], plural)
    if origin in (Union, types.UnionType):
        return _describe(next(a for a in args if a is not type(None)), plural)
    if origin is list:
        return "lists" if plural else f"a list of {_describe(args[0], plural=True)}"
    words = _WORDS.get(kind, (getattr(kind, "__name__", str(kind)),) * 2)
    return words[1] if plural else words[0]


def _config_error(error: dict, data: dict, source: str) -> ConfigError:
    """Say which key is wrong, what it should be, and how to write it."""
    section, *rest = [str(part) for part in error["loc"]]
    if not rest:
        if error["type"] == "extra_forbidden":
            return ConfigError(f"{source}: unknown section [{section}]", f"use one of: {', '.join(Config.model_fields)}")
        return ConfigError(f"{source}: [{section}] must be a table", f"write it as [{section}] with keys under it")
    table: type[Section] = Config.model_fields[section].annotation  # type: ignore[assignment]
    name, key = rest[0], f"{section}.{rest[0]}"
    if error["type"] == "extra_forbidden":
        return ConfigError(f"{source}: unknown key {key}", f"known keys of [{section}]: {', '.join(table.model_fields)}")
    field, value = table.model_fields[name], data[section][name]
    if error["type"].endswith(("_type", "_parsing")):
        problem = f"expected {_describe(field.annotation)}"
    else:  # a bound: 'should be greater than or equal to 1', 'should have at least 1 item'
        problem = error["msg"].replace("Input should", "should").replace("List should", "should")
        problem = problem.split(" after validation")[0]
    example = json.dumps(field.default) if field.default is not None else f"<{_describe(field.annotation)}>"
    return ConfigError(f"{source}: {key}: {problem}, got {value!r}", f"write it under [{section}] as `{name} = {example}`")


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
    flags = {key: value for key, value in (overrides or {}).items() if value is not None}
    return (cfg.override(flags) if flags else cfg), origin


TEMPLATE = '''# hpcagent configuration ({detected}). Every key can be overridden on the command line.

[build]
command = "{build}"      # make [ARGS] | cmake | any command; every compile and link gets hpcagent's flags added
{race_build}# cc = "gcc"              # release (timed) build compiler; the race check always uses clang-16 + TSan
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
# ignore = []             # regular expressions of output lines never compared (timings are found without this)
# only = []               # when given, only the lines matching one of these are compared
# tolerances = {{}}         # regular expression -> rtol for the numbers of matching lines, e.g. {{"energy" = 1e-4}}
# auto_ignore = true      # leave out lines/numbers that change between two runs of the original, and timings
{found}
[search]
# sources = []            # globs of files to consider (default: every C/C++ file)
# max_targets = 6         # loops to try, hottest first
# unproven = true         # also try loops the analysis could not prove (possible dependence or aliasing), after
#                         # the proven candidates; only the race check, tests and outputs vouch for them
# remainder = true        # loops too small alone are tried as one set on top of the accepted changes
# min_share_small = 0.001 # loops under min_share but at least this share may join that set

[threads]
# count = 2               # threads of the timed runs
# race = [2, 3, 4]        # thread counts of the race-check runs (an odd one, and above the core count)
# race_repeats = 3        # race-check runs per thread count
# schedules = ["static,1", "dynamic,1"]  # OMP_SCHEDULE values the changed loops are also race-checked under

[budget]
# attempts = 4            # attempts per loop
# wall_minutes = 480      # the whole run
# min_speedup = 1.02      # accept only changes at least this much faster, and beyond the noise
# min_loop_speedup = 1.2  # a small loop whose set is within the noise: its own time (loop timers) must gain this
# explore = 1             # after a modest acceptance, try this many more candidates and keep the best
# locality = 4            # loop-order, tiling, unroll-and-jam, fusion, simd rewrites tried after an acceptance
# quiet_wait = 60         # seconds a timing waits for idle CPUs; 0 = time at once, no load guard
# quiet_retries = 2       # timings taken again when another job used the cores during one
# tentative = true        # gains within the noise alone are timed together in compose, kept if the set is faster

[agent]
# planner = "analysis"    # analysis | llm | scripted:FILE
# critic = "rules"        # rules | llm (the model explains; the rules still decide)
# model = "smollm2"       # smollm2 | transformers:PATH | openai:MODEL | scripted:FILE (called as set in [model])
# sandbox = "auto"        # auto | docker | local

[model]
# base_url = "http://127.0.0.1:8000/v1"  # server of openai:MODEL (default: the OPENAI_BASE_URL variable)
# api_key_env = "OPENAI_API_KEY"         # NAME of the variable holding the API key; never put the key here
# timeout = 120           # seconds one call may take (openai)
# retries = 4             # retries after a 429, a 5xx, a timeout or a refused connection (openai)
# token_budget = 200000   # tokens (in + out) the planner's and the critic's model may each spend (default: no limit)
# temperature = 0.0       # 0 = greedy: the same prompt gets the same answer
# max_new_tokens = 300    # most tokens one answer may have (default: planner 300, 96 on a local model; critic 160)
'''
