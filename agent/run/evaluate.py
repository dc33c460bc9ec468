"""The sandbox work behind the graph's nodes: profile, baseline, and the evidence for one candidate tree."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from hpcagent.agent.config import Config
from hpcagent.errors import BadInput, BuildFailed
from hpcagent.sandbox.backends import copy_tree
from hpcagent.sandbox.build import BuildSpec, build_record, toolchain
from hpcagent.sandbox.racecheck import prefixes, race_check
from hpcagent.sandbox.steps import Step
from hpcagent.sandbox.timer import second_round, time_interleaved
from hpcagent.tools.compare import compare_text


def fresh_copy(src: Path, dest: Path) -> Path:
    """Replace dest with a copy of src (nodes may run twice after a resume: never assume dest is absent)."""
    if dest.exists():
        shutil.rmtree(dest)
    return copy_tree(src, dest)


def release_tc(cfg: Config):
    return toolchain("release", cc=cfg.build.cc, cxx=cfg.build.cxx or None, cflags=cfg.build.cflags)


def limits_from(cfg: Config, base: dict | None) -> dict[str, float]:
    """Timeouts for a candidate: a few times what the original took (a far slower candidate is cut short)."""
    if not base:
        return {"run": cfg.run.timeout, "test": cfg.test.timeout, "race": cfg.run.timeout}
    race = max([r["seconds"] for r in base.get("race_runs", [])] or [cfg.run.timeout / 10])
    test = (base.get("test") or {}).get("seconds", cfg.test.timeout / 5)
    return {"run": min(cfg.run.timeout, 5 * base["seconds"] + 20),
            "test": min(cfg.test.timeout, 5 * test + 60),
            "race": min(cfg.run.timeout, 10 * race + 60)}


def run_steps(cfg: Config, work: Path, cwd: str, with_test: bool = True, base: dict | None = None) -> list[Step]:
    """The release-build, run and test steps for one tree; tests are built with the same compiler and flags."""
    limit = limits_from(cfg, base)
    tc = release_tc(cfg)
    spec = BuildSpec.detect(work / cwd, cfg.build.command or None)
    steps = spec.steps(tc, "release", timeout=cfg.build.timeout, cwd=cwd)
    env = {**tc.env(), "OMP_NUM_THREADS": str(cfg.threads.count)}
    steps.append(Step("run", cfg.run.command or spec.binary, env=env, cwd=cwd, timeout=limit["run"]))
    if with_test and cfg.test.command:
        test = cfg.test.command
        if test.split()[0] == "make":  # command-line variables beat the Makefile's own assignments
            test = "make " + " ".join(f"{k}={shlex.quote(v)}" for k, v in tc.env().items()) + test[4:]
        steps.append(Step("test", test, env=env, cwd=cwd, timeout=limit["test"]))
    return steps


def read_outputs(tree: Path, names: list[str]) -> dict[str, str]:
    """Read the run's named output files (missing ones read as a marker, which then must match)."""
    out = {}
    for name in names:
        p = tree / name
        out[name] = p.read_text(errors="replace") if p.is_file() else "<missing>"
    return out


def profile(sandbox, work: Path, cfg: Config) -> dict:
    """Build with -pg, run the workload, and read gprof's function and line profiles (or say why not)."""
    from hpcagent.tools.profile import build_profile

    prof = fresh_copy(work / "orig", work / "prof")
    spec = BuildSpec.detect(prof, cfg.build.command or None)
    steps = spec.steps(toolchain("profile", cc="gcc"), "profile", timeout=cfg.build.timeout, cwd="prof")
    steps.append(Step("profile-run", cfg.run.command, cwd="prof", timeout=cfg.run.timeout))
    res = sandbox.run(work, steps)
    if not all(r.ok for r in res):
        bad = next(r for r in res if not r.ok)
        return {"error": f"profiling build/run failed ({bad.name}: {bad.reason or bad.exit_code})"}
    binary = find_binary(prof, cfg.run.command)
    gmon = next(prof.rglob("gmon.out"), None)
    if binary is None or gmon is None:
        return {"error": "no gmon.out or program binary found after the profiling run"}
    b, g = shlex.quote(str(binary.relative_to(prof))), shlex.quote(str(gmon.relative_to(prof)))
    res = sandbox.run(work, [Step("gprof", f"gprof -b -p {b} {g}", cwd="prof"),
                             Step("gprof-lines", f"gprof -b -l -p {b} {g}", cwd="prof")])
    out = build_profile(res[0].stdout, res[1].stdout, prefixes(sandbox, work, "prof"))
    if not out["functions"]:
        return {"error": "gprof sampled nothing (the run may be too short: give it a second or more of work)"}
    return out


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


def baseline(sandbox, work: Path, cfg: Config) -> dict:
    """Build and run the original (release build), run its tests, race-check it; bad input ends the run here."""
    fresh_copy(work / "orig", work / "base")
    res = sandbox.run(work, run_steps(cfg, work, "base"))
    build = build_record(res[0], prefixes(sandbox, work, "base"))
    if not build["ok"]:
        raise BuildFailed(f"the original project does not build: {build['reason']}",
                          "fix the build (or --build) first; the compiler's messages are below",
                          diagnostics=build["diagnostics"], log=build["log"])
    run = res[1]
    if run.timed_out:
        raise BadInput(f"the run command `{cfg.run.command}` did not finish in {cfg.run.timeout:g} s",
                       "give a smaller input, or raise run.timeout (--run-timeout)")
    if not run.ok:
        raise BadInput(f"the run command `{cfg.run.command}` fails on the original code: "
                       f"{run.reason or 'exit ' + str(run.exit_code)}\n{run.stderr[-800:]}",
                       "fix the command (--run) so it succeeds on the unmodified project")
    test = res[2] if len(res) > 2 else None
    if test is not None and not test.ok:
        raise BadInput(f"the test command `{cfg.test.command}` fails on the original code "
                       f"({test.reason or 'exit ' + str(test.exit_code)}):\n{(test.stdout + test.stderr)[-800:]}",
                       "hpcagent needs tests that pass before it changes anything: fix them or the --test command")
    fresh_copy(work / "orig", work / "race0")
    race = race_check(sandbox, work, BuildSpec.detect(work / "race0", cfg.build.command or None),
                      cfg.run.race_command or cfg.run.command, threads=tuple(cfg.threads.race), cwd="race0",
                      build_timeout=cfg.build.timeout, run_timeout=cfg.run.timeout)
    if not race["build"]["ok"]:
        raise BuildFailed("the original project does not build with clang-16 -fsanitize=thread, so races cannot "
                          f"be checked: {race['build']['reason']}", "make the build honour CC/CFLAGS/LDFLAGS",
                          diagnostics=race["build"]["diagnostics"], log=race["build"]["log"])
    shutil.rmtree(work / "race0", ignore_errors=True)
    return {"seconds": round(run.seconds, 4), "stdout": run.stdout, "outputs": read_outputs(work / "base",
                                                                                           cfg.run.outputs),
            "test": None if test is None else {"ok": True, "seconds": round(test.seconds, 3)},
            "races": race["races"], "race_runs": race["runs"]}


def evidence(sandbox, work: Path, tree: str, cfg: Config, base: dict) -> dict:
    """Race-check, build, run, test and time one candidate tree; stop at the first stage that fails."""
    known = {(r["file"], r["line"], r["other_line"]) for r in base.get("races", [])}
    spec = BuildSpec.detect(work / tree, cfg.build.command or None)
    limit = limits_from(cfg, base)
    race = race_check(sandbox, work, spec, cfg.run.race_command or cfg.run.command,
                      threads=tuple(cfg.threads.race), cwd=tree, build_timeout=cfg.build.timeout,
                      run_timeout=limit["race"])
    race["races"] = [r for r in race["races"] if (r["file"], r["line"], r["other_line"]) not in known]
    out = {"root": str(work / tree), "race": race, "build": None, "timing": None}
    if not race["build"]["ok"]:
        return {**out, "stage": "race_build", "error": race["build"]["reason"]}
    if race["races"]:
        return {**out, "stage": "race", "error": f"{len(race['races'])} race(s)"}
    if not race["ran"]:
        bad = next((r for r in race["runs"] if not r["ok"]), {})
        return {**out, "stage": "race_run", "error": f"race-check run failed: {bad.get('reason', '?')}"}
    res = sandbox.run(work, run_steps(cfg, work, tree, base=base))
    out["build"] = build_record(res[0], prefixes(sandbox, work, tree))
    if not out["build"]["ok"]:
        return {**out, "stage": "build", "error": out["build"]["reason"]}
    if res[1].timed_out:  # the candidate is many times slower than the original: a timing verdict, not a crash
        error = f"run timed out after {res[1].seconds:.0f} s ({res[1].reason}; the original took {base['seconds']:.2f} s)"
        return {**out, "stage": "timing", "timing": {"error": error}, "error": error}
    if not res[1].ok:
        return {**out, "stage": "run", "error": f"run failed: {res[1].reason or res[1].exit_code}"}
    diff = compare_text(base["stdout"], res[1].stdout, cfg.test.rtol, cfg.test.atol)
    for name, text in read_outputs(work / tree, cfg.run.outputs).items():
        file_diff = compare_text(base["outputs"].get(name, ""), text, cfg.test.rtol, cfg.test.atol)
        diff = diff or (file_diff and f"{name}: {file_diff}")
    out["output"] = {"ok": diff is None, "diff": diff}
    if diff:
        return {**out, "stage": "output", "error": f"output differs from the original's: {diff}"}
    if len(res) > 2:
        out["test"] = {"ok": res[2].ok, "exit_code": res[2].exit_code, "tail": (res[2].stdout + res[2].stderr)[-1500:]}
        if not res[2].ok:
            return {**out, "stage": "test", "error": f"tests fail: {res[2].reason or 'exit ' + str(res[2].exit_code)}"}
    def timed() -> dict:
        return time_interleaved(sandbox, work, {"cwd": "base", "cmd": cfg.run.command},
                                {"cwd": tree, "cmd": cfg.run.command}, threads=cfg.threads.count,
                                reps=cfg.budget.timing_reps, timeout=limit["run"],
                                min_speedup=cfg.budget.min_speedup)

    timing = timed()
    if "error" not in timing and timing["verdict"] == "within noise" and timing["speedup"] >= cfg.budget.min_speedup:
        # The median shows a gain but some run contradicts it: a second round decides, with both rounds' runs.
        timing = second_round(timing, timed(), cfg.budget.min_speedup)
    out["timing"] = timing
    if "error" in timing or not timing["beyond_noise"]:
        return {**out, "stage": "timing", "error": timing.get("error", f"{timing.get('speedup')}x: "
                                                                         f"{timing.get('verdict')}")}
    return {**out, "stage": "passed"}


def compose(sandbox, work: Path, cfg: Config, base: dict, loops: list[dict], log) -> dict:
    """Apply every accepted change together and check the whole program; drop the latest change until it passes."""
    from hpcagent.records import Proposal
    from hpcagent.tools.loops.groups import covered_by_groups
    from hpcagent.tools.patch import EditError, apply_edits

    def loop_id(lp: dict) -> str:
        return f"{lp['target']['file']}:{lp['target']['line']}"

    kept = [lp for lp in loops if lp["status"] == "accepted"]
    dropped: list[dict] = []
    while kept:
        # a loop accepted alone and also covered by an accepted group: the group's edit makes it parallel already
        covered = {k: g for k, g in covered_by_groups(kept).items() if k in {loop_id(lp) for lp in kept}}
        active = [lp for lp in kept if loop_id(lp) not in covered]
        clash = first_clash(active)
        if clash is not None:  # two insertions before one line pass the patcher but stack two pragmas
            kept.remove(clash)
            dropped.append({"loop": loop_id(clash), "reason": "its edit lands on a line that an earlier accepted "
                                                              "change already edits"})
            continue
        edits = [e for lp in active for e in Proposal.from_dict(lp["accepted"]["proposal"]).edits]
        tree = fresh_copy(work / "orig", work / "final")
        try:
            files = apply_edits(tree, edits)
        except EditError as exc:
            result = {"stage": "apply", "error": str(exc)}
        else:
            result = evidence(sandbox, work, "final", cfg, base)
        loop_ids = [loop_id(lp) for lp in active]
        log("compose", loops=loop_ids, stage=result["stage"], error=result.get("error"),
            timing=result.get("timing"), covered=covered)
        if result["stage"] == "passed":
            weakest = hurting(active, result) if not covered else None  # (a dropped group would hide its loops)
            if weakest is not None:
                # the set is clearly slower than its best change alone: one try without the change that gained least
                rest = [lp for lp in active if lp is not weakest]
                edits_rest = [e for lp in rest for e in Proposal.from_dict(lp["accepted"]["proposal"]).edits]
                files_rest = apply_edits(fresh_copy(work / "orig", work / "final"), edits_rest)
                trial = evidence(sandbox, work, "final", cfg, base)
                log("compose", loops=[loop_id(lp) for lp in rest], stage=trial["stage"], error=trial.get("error"),
                    timing=trial.get("timing"), covered=covered, without=loop_id(weakest))
                before, after = result["timing"]["speedup"], (trial.get("timing") or {}).get("speedup") or 0.0
                if trial["stage"] == "passed" and after > before * TRIAL_GAIN:
                    dropped.append({"loop": loop_id(weakest), "reason": f"the whole program ran faster without it: "
                                                                        f"{after:.2f}x without, {before:.2f}x with"})
                    return {"ok": True, "kept": [loop_id(lp) for lp in rest], "files": files_rest,
                            "dropped": dropped, "check": trial, "covered": covered}
                apply_edits(fresh_copy(work / "orig", work / "final"), edits)  # back to the full set
            return {"ok": True, "kept": loop_ids, "files": files, "dropped": dropped, "check": result,
                    "covered": covered}
        # Changes that pass alone can interact: drop the most recently accepted one and try again.
        last = active[-1]
        kept.remove(last)
        dropped.append({"loop": f"{last['target']['file']}:{last['target']['line']}",
                        "reason": f"the combined program failed at {result['stage']}: {result.get('error')}"})
    return {"ok": False, "kept": [], "files": [], "dropped": dropped, "check": None, "covered": {}}


SLOWER_SET = 0.9
"""A composed set whose speedup is under this fraction of its best change's own gets one try without its weakest."""
TRIAL_GAIN = 1.05
"""...and the smaller set is kept only if it is this much faster than the full one."""


def hurting(active: list[dict], result: dict) -> dict | None:
    """The accepted change with the smallest gain alone, if the composed program is clearly slower than the best
    change alone (changes can interfere: a parallel initialisation moving data away from the threads that use it)."""
    if len(active) < 2:
        return None
    gains = [((lp["accepted"].get("check") or {}).get("timing") or {}).get("speedup") or 0.0 for lp in active]
    if result["timing"]["speedup"] >= SLOWER_SET * max(gains):
        return None
    return active[gains.index(min(gains))]


def first_clash(loops: list[dict]) -> dict | None:
    """The first accepted loop whose edits start on a line an earlier one's edits already start on."""
    from hpcagent.records import Proposal

    seen: set[tuple[str, int]] = set()
    for lp in loops:
        spots = {(e.file, e.start_line) for e in Proposal.from_dict(lp["accepted"]["proposal"]).edits}
        if spots & seen:
            return lp
        seen |= spots
    return None
