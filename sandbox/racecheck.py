"""Race check: a TSan + Archer build, run several times at several thread counts, races parsed and folded."""

from __future__ import annotations

from pathlib import Path

from hpcagent.evidence import RaceCheck, RaceRun
from hpcagent.sandbox.build import RACE_ENV, TSAN_EXIT, BuildSpec, build_record, toolchain
from hpcagent.sandbox.steps import Limits, Step


def prefixes(sandbox, workdir: Path, cwd: str) -> tuple[str, ...]:
    """Path prefixes to strip from reported files so they read relative to the project."""
    root = "/w" if sandbox.name == "docker" else str(Path(workdir).resolve())
    sub = f"{root}/{cwd}".rstrip("/.")
    return tuple(dict.fromkeys([sub + "/", root + "/"]))


def race_check(sandbox, workdir: Path, spec: BuildSpec, run_cmd: str, *, threads=(2, 4), repeats: int = 1,
               cwd: str = ".", build_timeout: float = 600, run_timeout: float = 300,
               limits: Limits | None = None, schedules: tuple[str, ...] = ("",), built: RaceCheck | None = None
               ) -> RaceCheck:
    """Build workdir/cwd for race checking and run it len(threads) x repeats times under each OMP_SCHEDULE of
    `schedules` ('' leaves it unset); return the evidence. built: an earlier check of the same tree whose build
    these runs reuse (no build step; its build record is returned)."""
    from hpcagent.tools.tsan import parse_tsan

    steps = [] if built is not None else spec.steps(toolchain("race"), "race", timeout=build_timeout, cwd=cwd)
    plan = [(t, r, s) for s in schedules for r in range(repeats) for t in threads]
    for t, r, s in plan:
        env = dict(RACE_ENV, OMP_NUM_THREADS=str(t), **({"OMP_SCHEDULE": s} if s else {}))
        name = f"race-run-t{t}-r{r}" + (f"-{s.replace(',', '')}" if s else "")
        steps.append(Step(name, run_cmd, env=env, cwd=cwd, timeout=run_timeout))
    results = sandbox.run(Path(workdir), steps, limits)
    roots = prefixes(sandbox, workdir, cwd)
    if built is None:
        build, results = build_record(results[0], roots, Path(workdir) / cwd), results[1:]
    else:
        build = built.build
    runs, text = [], []
    for (t, r, s), res in zip(plan, results):
        if res.skipped:
            continue
        races_here = parse_tsan(res.stderr, root_prefixes=roots, source_root=Path(workdir) / cwd)
        failed = res.exit_code not in (0, TSAN_EXIT) or res.timed_out
        runs.append(RaceRun(threads=t, repeat=r, exit_code=res.exit_code, seconds=round(res.seconds, 3),
                            races=len(races_here), ok=not failed,
                            reason=res.reason or (f"exited with {res.exit_code}" if failed else ""),
                            stdout_tail=res.stdout[-16000:], stderr_tail="" if races_here else res.stderr[-2000:],
                            schedule=s))
        text.append(res.stderr)
    races = [r.site() for r in parse_tsan("\n".join(text), root_prefixes=roots,
                                                                 source_root=Path(workdir) / cwd)]
    ran = bool(runs) and all(r.ok for r in runs)
    return RaceCheck(build=build, runs=runs, races=races, ran=ran, clean=build.ok and ran and not races,
                     command=run_cmd, threads=list(threads), repeats=repeats,
                     timed_out=any(res.timed_out for res in results))
