"""`hpcagent optimize`, `hpcagent resume` and `hpcagent init`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from hpcagent.agent.cli.sandbox import fail, parse_threads
from hpcagent.errors import BadInput, HpcAgentError

Opt = typer.Option


def optimize(
    repo: Annotated[Path, typer.Argument(help="The project directory (never modified).")],
    build: Annotated[str | None, Opt(help='Build command, e.g. "make" (CC/CFLAGS/... injected).')] = None,
    run: Annotated[str | None, Opt(help='The workload to profile and time, e.g. "./app 2000 700".')] = None,
    race_run: Annotated[str | None, Opt(help="A smaller workload for the race check.")] = None,
    test: Annotated[str | None, Opt(help='The test command, e.g. "make test".')] = None,
    config: Annotated[Path | None, Opt(help="Config file (default: REPO/hpcagent.toml).")] = None,
    threads: Annotated[int | None, Opt(help="Threads of the timed runs.")] = None,
    race_threads: Annotated[str | None, Opt(help="Thread counts of the race-check runs, e.g. 2,4.")] = None,
    planner: Annotated[str | None, Opt(help="analysis | llm | scripted:FILE")] = None,
    critic: Annotated[str | None, Opt(help="rules | llm")] = None,
    model: Annotated[str | None, Opt(help="smollm2 | transformers:PATH | openai:MODEL | scripted:FILE")] = None,
    sandbox: Annotated[str | None, Opt(help="auto | docker | local | fake:FILE (scripted evidence, no engine)")] = None,
    attempts: Annotated[int | None, Opt(help="Attempts per loop.")] = None,
    max_targets: Annotated[int | None, Opt(help="Loops to try, hottest first.")] = None,
    budget_minutes: Annotated[float | None, Opt(help="Wall-clock budget of the run.")] = None,
    run_timeout: Annotated[float | None, Opt(help="Seconds one run may take.")] = None,
    reps: Annotated[int | None, Opt(help="Interleaved timing repetitions.")] = None,
    min_speedup: Annotated[float | None, Opt(help="Smallest speedup accepted (beyond the noise too).")] = None,
    out: Annotated[Path | None, Opt(help="Runs folder (default .hpcagent/runs in the current directory).")] = None,
    run_id: Annotated[str | None, Opt(help="Name the run (default: a timestamp).")] = None,
    set_: Annotated[list[str] | None, Opt("--set", help="Override any config key: --set build.cc=clang-16 "
                                          "(the value is TOML; bare words are strings). Repeatable.")] = None,
    apply: Annotated[bool, Opt("--apply", help="Commit the accepted changes on a new git branch.")] = False,
    quiet: Annotated[bool, Opt("--quiet", "-q", help="No progress output.")] = False,
    jsonl: Annotated[bool, Opt("--jsonl", help="Progress as JSON lines on stdout.")] = False,
) -> None:
    """Parallelize REPO's hot loops with OpenMP; accept only race-free, correct, faster changes."""
    from hpcagent.agent.run import runner
    from hpcagent.agent.run.progress import make_echo

    overrides = {"build.command": build, "run.command": run, "run.race_command": race_run, "test.command": test,
                 "threads.count": threads, "threads.race": list(parse_threads(race_threads)) if race_threads else None,
                 "agent.planner": planner, "agent.critic": critic, "agent.model": model, "agent.sandbox": sandbox,
                 "budget.attempts": attempts, "search.max_targets": max_targets, "budget.wall_minutes": budget_minutes,
                 "run.timeout": run_timeout, "budget.timing_reps": reps, "budget.min_speedup": min_speedup,
                 "agent.out": str(out) if out else None}
    mode = "quiet" if quiet else "jsonl" if jsonl else "live"
    try:
        overrides.update(parse_sets(set_ or []))
        cfg, origin = prepare_config(repo, config, overrides,
                                     (lambda text: typer.echo(text, err=True)) if mode == "live" else None)
        state, run_dir = runner.start(repo, cfg, origin, Path(cfg.agent.out), run_id, make_echo(mode))
    except HpcAgentError as exc:
        fail(exc)
    _finish(state, run_dir, apply, mode)


def prepare_config(repo: Path, config: Path | None, overrides: dict, say=None):
    """The run's config for repo (file + overrides), the code base checked, the build command found when none is
    given; BadInput / ConfigError otherwise. Shared by optimize and batch."""
    from hpcagent.agent.config import load_config
    from hpcagent.agent.run.discovery import check_codebase
    from hpcagent.sandbox.build import BuildSpec

    repo = Path(repo)
    if not repo.exists():
        raise BadInput(f"{repo} does not exist", "give the path of a C/C++ project directory")
    cfg, origin = load_config(repo, config, overrides)
    check_codebase(repo, cfg)
    if not cfg.build.command:
        spec = BuildSpec.detect(repo)
        cfg.build.command = {"make": "make", "cmake": "cmake"}.get(spec.kind, "")
        if say is not None:
            say(f"no build command given: found a {spec.kind} project, building with {cfg.build.command or spec.source}")
    return cfg, origin


def parse_sets(items: list[str]) -> dict:
    """Turn ['build.cc=clang-16', 'threads.race=[2,3]'] into overrides (TOML values, bare words as strings)."""
    import tomllib

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise BadInput(f"--set {item!r} is not SECTION.KEY=VALUE", "e.g. --set build.cc=clang-16")
        try:
            out[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = value
    return out


def resume(
    run_id: Annotated[str | None, typer.Argument(help="The run to continue (its folder name).")] = None,
    out: Annotated[Path, Opt(help="Runs folder.")] = Path(".hpcagent/runs"),
    all_: Annotated[bool, Opt("--all", help="Continue every stopped run under --out, one after another.")] = False,
    apply: Annotated[bool, Opt("--apply", help="Commit the accepted changes on a new git branch.")] = False,
    quiet: Annotated[bool, Opt("--quiet", "-q")] = False,
    jsonl: Annotated[bool, Opt("--jsonl")] = False,
) -> None:
    """Continue a run that was stopped (kill -9 included) without redoing finished steps; --all: every one."""
    from hpcagent.agent.run import runner
    from hpcagent.agent.run.progress import make_echo

    mode = "quiet" if quiet else "jsonl" if jsonl else "live"
    if all_:
        _resume_all(out, mode)
        return
    if run_id is None:
        fail(BadInput("which run?", "give a run id, or --all for every stopped run (`hpcagent runs` lists them)"))
    try:
        state, run_dir = runner.resume(run_id, out, make_echo(mode))
    except HpcAgentError as exc:
        fail(exc)
    _finish(state, run_dir, apply, mode)


def _resume_all(out: Path, mode: str) -> None:
    """Continue every stopped run under out; a table of what became of each; exit 1 if one could not go on."""
    from hpcagent.agent.review.runs import list_runs
    from hpcagent.agent.run import runner
    from hpcagent.agent.run.progress import make_echo

    stopped = [r for r in list_runs(out) if r.status == "stopped"]
    if not stopped:
        typer.echo(f"no stopped run in {out}")
        return
    failed = 0
    for r in stopped:
        try:
            state, _ = runner.resume(r.id, out, make_echo(mode))
            typer.echo(f"{r.id}: {'a change accepted' if runner.exit_code(state) == 0 else 'no change accepted'}")
        except HpcAgentError as exc:
            failed += 1
            typer.echo(f"{r.id}: could not go on: {exc.message}")
    raise typer.Exit(1 if failed else 0)


def _finish(state: dict, run_dir: Path, apply: bool, mode: str) -> None:
    from hpcagent.agent.run import runner
    from hpcagent.agent.run.report import apply_to_branch

    if mode != "quiet":
        runner.print_result(state, run_dir)
    code = runner.exit_code(state)
    if apply and code == 0:
        try:
            branch = apply_to_branch(Path(state["repo"]), (run_dir / "patch.diff").read_text(), state["run_id"])
        except HpcAgentError as exc:
            fail(exc)
        typer.echo(f"accepted changes committed on branch {branch}", err=True)
    if mode == "jsonl":
        typer.echo(json.dumps({"kind": "result", "exit_code": code, "run_dir": str(run_dir)}))
    raise typer.Exit(code)


# -DN=4096, -DLARGE_DATASET, -DCLASS=B, -DN=$(N): a size chosen when building
SIZE_DEFINE = re.compile(r"-D\s*(\w*(?:SIZE|DATASET|CLASS|LEN|DIM)\w*(?:=[^\s'\"]+)?|[A-Z_]\w*=(?:\d+\b|\$[({]\w+[)}]))")


def race_build_hint(repo: Path) -> str:
    """The [build] race_command lines of the init template: an offer when a build file fixes sizes with -D."""
    found = []
    for name in ("Makefile", "makefile", "GNUmakefile", "CMakeLists.txt", "Makefile.inc", "make.def"):
        path = Path(repo) / name
        if path.is_file():
            found += [f"`-D{m}` in {name}" for m in SIZE_DEFINE.findall(path.read_text(errors="replace"))]
    if not found:
        return ('# race_command = ""     # a build for the race check when sizes are fixed at build time, '
                'e.g. "make CLASS=S"\n')
    return (f"# Sizes look fixed at build time ({', '.join(dict.fromkeys(found))}): the race check (TSan, 5-15x\n"
            "# slower) wants a small problem; give it its own build, e.g. race_command = \"make N=64\"\n"
            '# race_command = ""\n')


def init(
    repo: Annotated[Path, typer.Argument(help="The project directory.")],
    force: Annotated[bool, Opt(help="Overwrite an existing hpcagent.toml.")] = False,
    run: Annotated[str | None, Opt(help="The workload: with it, init builds and runs the original twice in the "
                                        "sandbox and writes down which output lines change from run to run.")] = None,
    build: Annotated[str | None, Opt(help='Build command, e.g. "make" (default: detected).')] = None,
    sandbox: Annotated[str, Opt(help="auto | docker | local (for --run)")] = "auto",
) -> None:
    """Write a commented hpcagent.toml for REPO to edit (the only file hpcagent ever writes in your tree)."""
    from hpcagent.agent.config import CONFIG_NAME, TEMPLATE
    from hpcagent.sandbox.build import BuildSpec

    path = repo / CONFIG_NAME
    if path.exists() and not force:
        fail(BadInput(f"{path} exists", "edit it, or pass --force to overwrite it"))
    try:
        spec = BuildSpec.detect(repo, build)
        detected = f"detected a {spec.kind} project"
        build = build or {"make": "make", "cmake": "cmake"}.get(spec.kind, "")
    except HpcAgentError:
        detected, build = "no Makefile or CMakeLists.txt found: fill in [build]", build or ""
    found = ""
    if run:
        try:
            notes = output_survey(repo, build, run, sandbox)
        except HpcAgentError as exc:
            fail(exc)
        found = "".join(f"#   {n}\n" for n in notes) or "#   (nothing: every line matched between the two runs)\n"
        found = "# Two runs of the original: these output lines/numbers change, and are left out automatically:\n" \
            + found
    path.write_text(TEMPLATE.format(detected=detected, build=build, run=run or "./app ARGS", test="",
                                    race_build=race_build_hint(repo), found=found))
    typer.echo(f"wrote {path}" + ("" if run else ": set [run] command (and [test] command) before running "
                                                  "hpcagent optimize"))


def output_survey(repo: Path, build: str, run: str, sandbox_name: str) -> list[str]:
    """Build and run the original twice in a scratch copy; the notes of what its output comparison leaves out."""
    import shutil

    from hpcagent.agent.config import Config
    from hpcagent.agent.run.lab import fresh_copy, survey_output
    from hpcagent.sandbox.backends import get_sandbox, scratch_dir

    work = scratch_dir()
    try:
        fresh_copy(repo, work / "orig")
        cfg = Config.from_dict({"build": {"command": build}, "run": {"command": run}})
        return survey_output(get_sandbox(sandbox_name), work, cfg)
    finally:
        shutil.rmtree(work, ignore_errors=True)
