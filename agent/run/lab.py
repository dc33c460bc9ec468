"""The sandbox work the graph needs (the `Lab` seam of agent/protocols.py), done in a real sandbox: profile,
baseline, and the evidence for one candidate tree."""

from __future__ import annotations

import shlex
import shutil
from dataclasses import replace
from pathlib import Path

from hpcagent.agent.config import Config
from hpcagent.agent.run import compiles
from hpcagent.agent.run.loop_times import runs_of
from hpcagent.agent.run.outputs import race_output_differs
from hpcagent.errors import BadInput, BuildFailed
from hpcagent.evidence import Baseline, Evidence, OutputCheck, RaceCheck, TestRun, Timing
from hpcagent.sandbox.backends import copy_tree, remove_added
from hpcagent.sandbox.build import BuildSpec, build_record, toolchain
from hpcagent.sandbox.coverage import line_coverage
from hpcagent.sandbox.racecheck import prefixes, race_check
from hpcagent.sandbox.steps import Step
from hpcagent.sandbox.timer import second_round, time_interleaved
from hpcagent.sandbox.wrappers import wrapped
from hpcagent.tools.compare import compare_text, learn_mask
from hpcagent.tools.patch import added_lines


def fresh_copy(src: Path, dest: Path) -> Path:
    """Replace dest with a copy of src (nodes may run twice after a resume: never assume dest is absent)."""
    shutil.rmtree(dest, ignore_errors=True)
    return copy_tree(src, dest)


def release_tc(cfg: Config):
    return toolchain("release", cc=cfg.build.cc, cxx=cfg.build.cxx or None, cflags=cfg.build.cflags)


def race_spec(cfg: Config, tree: Path) -> BuildSpec:
    """How the race check (and its coverage run) builds tree: build.race_command when the problem size is fixed
    at build time, else the timed build's command."""
    return BuildSpec.detect(tree, cfg.build.race_command or cfg.build.command or None)


WARMUP_BELOW = 2.0
"""Seconds of the original's run under which a candidate's timing starts with a warm-up run of each side."""


def limits_from(cfg: Config, base: Baseline | None) -> dict[str, float]:
    """Timeouts for a candidate: a few times what the original took (a far slower candidate is cut short)."""
    if not base:
        return {"run": cfg.run.timeout, "test": cfg.test.timeout, "race": cfg.run.timeout}
    race = max([r.seconds for r in base.race_runs] or [cfg.run.timeout / 10])
    test = base.test.seconds if base.test and base.test.seconds is not None else cfg.test.timeout / 5
    return {"run": min(cfg.run.timeout, 5 * base.seconds + 20),
            "test": min(cfg.test.timeout, 5 * test + 60),
            "race": min(cfg.run.timeout, 10 * race + 60)}


def run_steps(cfg: Config, work: Path, cwd: str, with_test: bool = True, base: Baseline | None = None) -> list[Step]:
    """The release-build, run and test steps for one tree; tests are built with the same compiler and flags."""
    limit = limits_from(cfg, base)
    tc = release_tc(cfg)
    spec = BuildSpec.detect(work / cwd, cfg.build.command or None)
    steps = spec.steps(tc, "release", timeout=cfg.build.timeout, cwd=cwd)
    env = {**tc.env(), "OMP_NUM_THREADS": str(cfg.threads.count)}
    steps.append(Step("run", cfg.run.command or spec.binary, env=env, cwd=cwd, timeout=limit["run"]))
    if with_test and cfg.test.command:
        # Through the compiler wrappers, like the build: a test target that compiles gets the release flags.
        steps.append(Step("test", wrapped(cfg.test.command), env=env, cwd=cwd, timeout=limit["test"]))
    return steps


def read_outputs(tree: Path, names: list[str]) -> dict[str, str]:
    """Read the run's named output files (missing ones read as a marker, which then must match)."""
    out = {}
    for name in names:
        p = tree / name
        out[name] = p.read_text(errors="replace") if p.is_file() else "<missing>"
    return out


def profile(sandbox, work: Path, cfg: Config) -> dict:
    """Build as released plus -g, run the workload once under the stack sampler (sandbox/sampler.py), and fold the
    samples into source lines; {'error': why} when there is no profile."""
    from hpcagent.sandbox import sampler
    from hpcagent.tools.profile import build_profile

    prof = fresh_copy(work / "orig", work / "prof")
    spec = BuildSpec.detect(prof, cfg.build.command or None)
    tc = toolchain("profile", cc=cfg.build.cc, cxx=cfg.build.cxx or None)
    steps = [sampler.build_step("prof"), *spec.steps(tc, "profile", timeout=cfg.build.timeout, cwd="prof"),
             sampler.run_step(cfg.run.command, "prof", cfg.run.timeout)]
    res = sandbox.run(work, steps)
    if all(r.ok for r in res[:-1]):  # built: the sources as this build compiled them, for the analysis
        compiles.preprocess(sandbox, work, "prof")
        try:
            compiles.vector_report(sandbox, work, "prof", tc.cflags, release_tc(cfg).cflags)
        except Exception:  # a help for omp simd candidates only: without it the run goes on without them
            pass
    bad = next((r for r in res if not r.ok), None)
    if bad is not None:
        detail = (bad.stderr or bad.stdout).strip().splitlines()[-3:]
        return {"error": f"the profiling {'run' if bad.name == 'profile-run' else 'build'} failed ({bad.name}: "
                         f"{bad.reason or 'exit ' + str(bad.exit_code)})" + (": " + " / ".join(detail) if detail else "")}
    roots = prefixes(sandbox, work, "prof")

    def here(path: str) -> Path | None:
        return next((prof / path[len(r):] for r in roots[:1] if path.startswith(r)), None)

    stacks, lost, cpu = sampler.read_samples(prof, here)
    if not stacks:
        return {"error": "the sampler recorded nothing: the run may be too short (give it a second or more of "
                         "work) or may not end through exit()"}
    lookups, asked = sampler.symbolize_steps(stacks, roots[:1], "prof", prof)
    symbols = {}
    for (file, _asked), result in zip(asked, sandbox.run(work, lookups) if lookups else []):
        for address, frames in sampler.parse_addr2line(result.stdout).items():
            symbols[(file, address)] = frames
    folded, functions = sampler.line_stacks(stacks, symbols, roots)
    out = build_profile(folded, functions, len(stacks), lost, cpu_seconds=cpu)
    if not out["stacks"]:
        return {"error": f"none of the {len(stacks)} samples fell in the project's own code with line information "
                         "(is the program built from this tree, with -g honoured?)"}
    return out


def run_again(sandbox, work: Path, cfg: Config):
    """The run step of work/base once more (the original's second run: what changes between its runs)."""
    return sandbox.run(work, [replace(run_steps(cfg, work, "base", with_test=False)[1], name="run-again")])[0]


def survey_output(sandbox, work: Path, cfg: Config) -> list[str]:
    """Build the original in work/orig as released and run it twice: what the comparison would leave out of its
    output (OutputMask notes), for `hpcagent init --run`. BadInput when it does not build or run."""
    fresh_copy(work / "orig", work / "base")
    res = sandbox.run(work, run_steps(cfg, work, "base", with_test=False))
    if not res[0].ok:
        raise BuildFailed(f"the project does not build: {res[0].reason or 'exit ' + str(res[0].exit_code)}",
                          "set [build] command", log=(res[0].stdout + res[0].stderr)[-3000:])
    again = run_again(sandbox, work, cfg)
    if not (res[1].ok and again.ok):
        bad = res[1] if not res[1].ok else again
        raise BadInput(f"the run command `{cfg.run.command}` fails: {bad.reason or 'exit ' + str(bad.exit_code)}",
                       "give a command that runs the unmodified project (--run)")
    t = cfg.test
    return learn_mask([res[1].stdout, again.stdout], t.ignore, t.only, t.tolerances, t.auto_ignore).notes


def find_binary(tree: Path, run_cmd: str) -> Path | None:
    """The program a run command starts: its first token that is an executable file in the tree."""
    for token in shlex.split(run_cmd):
        p = (tree / token).resolve()
        if is_program(p):
            return p
    elfs = [p for p in tree.rglob("*") if is_program(p)]
    return max(elfs, key=lambda p: p.stat().st_mtime) if elfs else None


def is_program(path: Path) -> bool:
    """An executable ELF file (reads 4 bytes, not the whole file)."""
    if not path.is_file() or not path.stat().st_mode & 0o111:
        return False
    with open(path, "rb") as fh:
        return fh.read(4) == b"\x7fELF"


def baseline(sandbox, work: Path, cfg: Config) -> Baseline:
    """Build and run the original (release build), run its tests, race-check it; bad input ends the run here."""
    fresh_copy(work / "orig", work / "base")
    res = sandbox.run(work, run_steps(cfg, work, "base"))
    build = build_record(res[0], prefixes(sandbox, work, "base"), work / "base")
    if not build.ok:
        raise BuildFailed(f"the original project does not build: {build.reason}",
                          "fix the build (or --build) first; the compiler's messages are below",
                          diagnostics=build.diagnostics, log=build.log)
    run = res[1]
    if run.timed_out:
        raise BadInput(f"the run command `{cfg.run.command}` did not finish in {cfg.run.timeout:g} s",
                       "give a smaller input, or raise run.timeout (--run-timeout)")
    if not run.ok:
        raise BadInput(f"the run command `{cfg.run.command}` fails on the original code: "
                       f"{run.reason or 'exit ' + str(run.exit_code)}\n{run.stderr[-800:]}",
                       "fix the command (--run) so it succeeds on the unmodified project (an expected exit status N, "
                       "e.g. a self-check failing at another size: end it with `; test $? -eq N`)")
    test = res[2] if len(res) > 2 else None
    if test is not None and not test.ok:
        raise BadInput(f"the test command `{cfg.test.command}` fails on the original code "
                       f"({test.reason or 'exit ' + str(test.exit_code)}):\n{(test.stdout + test.stderr)[-800:]}",
                       "hpcagent needs tests that pass before it changes anything: fix them or the --test command")
    # The original once more: what changes between its own runs (timings, dates) is not compared.
    outputs = read_outputs(work / "base", cfg.run.outputs)
    again = run_again(sandbox, work, cfg)
    if not again.ok:
        raise BadInput(f"the run command `{cfg.run.command}` succeeded once on the original code and failed the second "
                       f"time: {again.reason or 'exit ' + str(again.exit_code)}\n{again.stderr[-800:]}",
                       "a workload that cannot run twice from the same tree cannot be compared: make the run "
                       "command repeatable (remove or overwrite what it leaves behind)")
    samples = {"stdout": [run.stdout, again.stdout]}
    for name, text in read_outputs(work / "base", cfg.run.outputs).items():
        samples[name] = [outputs[name], text]
    fresh_copy(work / "orig", work / "race0")
    race = race_check(sandbox, work, race_spec(cfg, work / "race0"),
                      cfg.run.race_command or cfg.run.command, threads=tuple(cfg.threads.race), cwd="race0",
                      build_timeout=cfg.build.timeout, run_timeout=cfg.run.timeout)
    if not race.build.ok:
        raise BuildFailed("the original project does not build with clang-16 -fsanitize=thread, so races cannot "
                          f"be checked: {race.build.reason}", "make the build honour CC/CFLAGS/LDFLAGS",
                          diagnostics=race.build.diagnostics, log=race.build.log)
    shutil.rmtree(work / "race0", ignore_errors=True)
    fresh_copy(work / "orig", work / "cov0")
    covered = line_coverage(sandbox, work, race_spec(cfg, work / "cov0"),
                            cfg.run.race_command or cfg.run.command, find_binary, cwd="cov0",
                            build_timeout=cfg.build.timeout, run_timeout=cfg.run.timeout)
    shutil.rmtree(work / "cov0", ignore_errors=True)
    samples["race"] = [r.stdout_tail for r in race.runs if r.ok]
    t = cfg.test
    masks = {name: learn_mask(texts, t.ignore, t.only, t.tolerances, t.auto_ignore).to_dict()
             for name, texts in samples.items()}
    flags = {variant: {"dropped": b.dropped, "ignored": b.ignored}
             for variant, b in (("release", build), ("race", race.build)) if b.dropped or b.ignored}
    return Baseline(seconds=round(run.seconds, 4), stdout=run.stdout, outputs=outputs, masks=masks, flags=flags,
                    test=None if test is None else TestRun(ok=True, seconds=round(test.seconds, 3)),
                    races=race.races, race_runs=race.runs, executed=covered if isinstance(covered, dict) else None,
                    coverage_error=covered if isinstance(covered, str) else "")


def evidence(sandbox, work: Path, tree: str, cfg: Config, base: Baseline, reference: str | None = "base") -> Evidence:
    """Race-check, build, run, test and time one candidate tree; stop at the first stage that fails. The timing is
    against work/base, the original as built for the baseline, or against another tree (built here first)."""
    limit = limits_from(cfg, base)
    race = race_evidence(sandbox, work, tree, cfg, limit["race"], base)
    known = base.known_races
    race.races = [r for r in race.races if r.key not in known]
    ev = Evidence(stage="passed", root=str(work / tree), race=race)
    if not race.build.ok:
        return fail(ev, "race_build", race.build.reason)
    slow = far_slower(race, base)
    if slow:  # a timing verdict, like a run that timed out
        ev.timing = Timing(error=slow)
        return fail(ev, "timing", slow)
    if race.races:
        return fail(ev, "race", f"{len(race.races)} race(s)")
    if not race.ran:
        bad = next((r for r in race.runs if not r.ok), None)
        return fail(ev, "race_run", f"race-check run failed: {bad.reason if bad else '?'}")
    at = {t: prefixes(sandbox, work, t)[0].rstrip("/") for t in ("base", "race0", tree)}  # each copy's own path
    differs = race_output_differs(race, base, cfg, (at["race0"], at[tree]))
    if differs:
        ev.output = OutputCheck(ok=False, diff=differs)
        return fail(ev, "output", differs)
    remove_added(work / "orig", work / tree)  # what the race-check build made in the same copy
    res = sandbox.run(work, run_steps(cfg, work, tree, base=base))
    ev.build = build_record(res[0], prefixes(sandbox, work, tree), work / tree)
    if not ev.build.ok:
        return fail(ev, "build", ev.build.reason)
    if res[1].timed_out:  # the candidate is many times slower than the original: a timing verdict, not a crash
        error = f"run timed out after {res[1].seconds:.0f} s ({res[1].reason}; the original took {base.seconds:.2f} s)"
        ev.timing = Timing(error=error)
        return fail(ev, "timing", error)
    if not res[1].ok:
        return fail(ev, "run", f"run failed: {res[1].reason or res[1].exit_code}")
    trees = (at["base"], at[tree])
    diff = compare_text(base.stdout, res[1].stdout, cfg.test.rtol, cfg.test.atol, base.mask("stdout"), trees)
    for name, text in read_outputs(work / tree, cfg.run.outputs).items():
        file_diff = compare_text(base.outputs.get(name, ""), text, cfg.test.rtol, cfg.test.atol, base.mask(name),
                                 trees)
        diff = diff or (file_diff and f"{name}: {file_diff}")
    ev.output = OutputCheck(ok=diff is None, diff=diff)
    if diff:
        return fail(ev, "output", f"output differs from the original's: {diff}")
    if len(res) > 2:
        ev.test = TestRun(ok=res[2].ok, exit_code=res[2].exit_code, tail=(res[2].stdout + res[2].stderr)[-1500:])
        if not res[2].ok:
            return fail(ev, "test", f"tests fail: {res[2].reason or 'exit ' + str(res[2].exit_code)}")
    if reference is None:  # the stages only, no timing (Lab.evidence)
        return ev

    # A warm-up pair only for a short program: a run of seconds pays its first-run costs (page cache, loading, the
    # clock ramping up) in under a percent of its time; the pair was a sixth of mvt's 7.5-second agent timings.
    warmup = 1 if (base.seconds or 0.0) < WARMUP_BELOW else 0
    if reference != "base":  # another tree to time against: built here first, with the release flags
        bad = next((r for r in sandbox.run(work, run_steps(cfg, work, reference, False, base)[:-1]) if not r.ok), None)
        if bad is not None:
            return fail(ev, "build", f"the reference in {reference} does not build: {bad.reason or bad.exit_code}")

    def timed() -> Timing:
        return time_interleaved(sandbox, work, {"cwd": reference, "cmd": cfg.run.command},
                                {"cwd": tree, "cmd": cfg.run.command}, threads=cfg.threads.count,
                                reps=cfg.budget.timing_reps, warmup=warmup, timeout=limit["run"],
                                min_speedup=cfg.budget.min_speedup,
                                quiet_wait=cfg.budget.quiet_wait if cfg.budget.quiet_wait > 0 else None)

    timing = timed()
    for _ in range(cfg.budget.quiet_retries):
        if not (timing.measured and timing.unreliable):
            break
        timing = timed()  # another job used the cores: wait for quiet (inside timed) and take it again
    if timing.measured and not timing.unreliable and timing.verdict == "within noise" and \
            (timing.speedup or 0) >= cfg.budget.min_speedup:
        # The median shows a gain but some run contradicts it: a second round decides, with both rounds' runs.
        timing = second_round(timing, timed(), cfg.budget.min_speedup)
    ev.timing = timing
    if not timing.measured:
        return fail(ev, "timing", timing.error or "no timing")
    if timing.unreliable:
        return fail(ev, "unreliable", f"timing unreliable: {timing.unreliable}")
    if not timing.beyond_noise:
        return fail(ev, "timing", f"{timing.speedup}x: {timing.verdict}")
    return ev


SLOW_AT_ONE = 10.0
"""A candidate whose one-thread race-check run takes over this many times the original's (both race-instrumented, and
2 s more) is far slower: no other race-check run is made (a team forked per call of a small loop ran for minutes)."""


def far_slower(race: RaceCheck, base: Baseline | None) -> str | None:
    """Why a candidate is far slower, from its one-thread race-check run against the original's (None if not)."""
    ones = [r.seconds for r in race.runs if r.threads == 1 and r.ok]
    ref = [r.seconds for r in base.race_runs if r.ok] if base is not None else []
    if not ones or not ref or min(ref) <= 0:
        return None
    one, orig = min(ones), min(ref)
    if one > SLOW_AT_ONE * orig and one - orig > 2.0:
        return (f"far slower: its race-check run at 1 thread took {one:.1f} s, {one / orig:.0f}x the original's "
                f"{orig:.2f} s (both with the race instrumentation); not race-checked further or timed")
    return None


def race_evidence(sandbox, work: Path, tree: str, cfg: Config, timeout: float,
                  base: Baseline | None = None) -> RaceCheck:
    """The race check of a candidate: one run at 1 thread (the build's first test; a candidate far slower than the
    original stops there, see far_slower), then several runs at each configured count; then the changed loops
    built with schedule(runtime) and run under each configured OMP_SCHEDULE (neighbouring iterations on different
    threads), when the change leaves their schedule open."""
    command = cfg.run.race_command or cfg.run.command
    spec, common = race_spec(cfg, work / tree), {"cwd": tree, "build_timeout": cfg.build.timeout,
                                                  "run_timeout": timeout}
    race = race_check(sandbox, work, spec, command, threads=(1,), repeats=1, **common)
    if far_slower(race, base):
        return race  # neither the other counts nor the perturbed schedules (kmeans: 400 s of them, per candidate)
    if race.clean:
        rest = race_check(sandbox, work, spec, command, threads=tuple(cfg.threads.race),
                          repeats=cfg.threads.race_repeats, built=race, **common)
        race = replace(race.merged(rest), threads=[1, *cfg.threads.race], repeats=cfg.threads.race_repeats)
    sched = f"{tree}-sched"
    if not (race.clean and cfg.threads.schedules and runtime_schedules(work / "orig", work / tree, work / sched)):
        return race
    perturbed = race_check(sandbox, work, race_spec(cfg, work / sched), command,
                           threads=tuple(cfg.threads.race), cwd=sched, build_timeout=cfg.build.timeout,
                           run_timeout=timeout, schedules=tuple(cfg.threads.schedules))
    shutil.rmtree(work / sched, ignore_errors=True)
    return race.merged(perturbed)


def runtime_schedules(orig: Path, tree: Path, dest: Path) -> bool:
    """Copy tree to dest with schedule(runtime) on each one-line loop-sharing pragma (`for`, `parallel for`,
    `for simd`) the change added without a schedule; False (and no copy) when there is none. (`simd` alone,
    `taskloop` and `distribute` take no schedule clause.)"""
    from hpcagent.tools.loops.veto import directive

    found = [(f, n) for f, n, text in added_lines(orig, tree) if not text.rstrip().endswith("\\")
             and (d := directive(text)) is not None and "for" in d[0] and "schedule" not in d[1]]
    if not found:
        return False
    fresh_copy(tree, dest)
    for file, line in found:
        lines = (dest / file).read_text().splitlines(keepends=True)
        text = lines[line - 1].rstrip("\r\n")
        lines[line - 1] = text.rstrip() + " schedule(runtime)" + lines[line - 1][len(text):]
        (dest / file).write_text("".join(lines))
    return True


def fail(ev: Evidence, stage: str, error: str) -> Evidence:
    ev.stage, ev.error = stage, error
    return ev


class SandboxLab:
    """The Lab seam done for real: every step in the given sandbox (Docker or local)."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.name = sandbox.name

    def profile(self, work: Path, cfg: Config) -> dict:
        return profile(self.sandbox, work, cfg)

    def baseline(self, work: Path, cfg: Config) -> Baseline:
        return baseline(self.sandbox, work, cfg)

    def evidence(self, work: Path, tree: str, cfg: Config, base: Baseline, reference: str | None = "base") -> Evidence:
        return evidence(self.sandbox, work, tree, cfg, base, reference)

    def loop_times(self, work: Path, ref: str, cand: str, cfg: Config, base: Baseline) -> list[tuple[str, str]] | str:
        return runs_of(self.sandbox, work, ref, cand, cfg, base)
