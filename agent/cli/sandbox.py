"""`hpcagent doctor`, `hpcagent sandbox build` and `hpcagent check`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated

import typer

from hpcagent.errors import HpcAgentError
from hpcagent.evidence import Diagnostic, RaceCheck, RaceSite


def fail(exc: HpcAgentError, code: int = 2) -> None:
    """Print a user-facing error (what and how to fix) and exit."""
    typer.echo(f"error: {exc}", err=True)
    diagnostics = getattr(exc, "diagnostics", None) or []
    for d in diagnostics[:10]:
        typer.echo(f"  {diagnostic_line(d)}", err=True)
    if not diagnostics and getattr(exc, "log", ""):
        typer.echo("  " + "\n  ".join(exc.log.splitlines()[-15:]), err=True)
    raise typer.Exit(code)


def diagnostic_line(d: Diagnostic) -> str:
    return f"{d.file}:{d.line}:{d.column}: {d.severity}: {d.message}"


def parse_threads(text: str) -> tuple[int, ...]:
    """Parse '2,4' into (2, 4)."""
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise typer.BadParameter(f"{text!r} is not a comma-separated list of thread counts such as 2,4")
    return values


def doctor(
    sandbox: Annotated[str, typer.Option(help="Backend to check: docker or local.")] = "docker",
) -> None:
    """Check the engine, the image, each compiler in it, OpenMP, Archer and the symbolizer."""
    from hpcagent.sandbox.doctor import run_doctor

    findings = run_doctor(sandbox)
    for f in findings:
        mark = "ok  " if f.ok else "FAIL"
        typer.echo(f"[{mark}] {f.name}" + (f": {f.detail}" if f.detail else ""))
        if not f.ok and f.fix:
            typer.echo(f"       fix: {f.fix}")
    bad = [f for f in findings if not f.ok]
    typer.echo("all checks passed" if not bad else f"{len(bad)} check(s) failed")
    raise typer.Exit(1 if bad else 0)


def build(
    offline: Annotated[bool, typer.Option("--offline", help="Build with debootstrap from the Debian mirror.")] = False,
    force: Annotated[bool, typer.Option(help="Rebuild even when the image exists.")] = False,
) -> None:
    """Build the sandbox image (from sandbox/Dockerfile, or offline when no base image can be pulled)."""
    from hpcagent.sandbox.backends.container import connect
    from hpcagent.sandbox.image import ensure_image

    try:
        tag = ensure_image(connect(), offline=True if offline else None, force=force, log=typer.echo)
    except HpcAgentError as exc:
        fail(exc)
    typer.echo(f"sandbox image ready: {tag}")


def check(
    path: Annotated[Path, typer.Argument(help="A .c/.cpp file or a project directory.")],
    run: Annotated[str | None, typer.Option(help="Command that runs the program (default: the built binary).")] = None,
    threads: Annotated[str, typer.Option(help="Thread counts to run at, comma-separated.")] = "2,4",
    repeats: Annotated[int, typer.Option(help="Runs per thread count.")] = 1,
    build_cmd: Annotated[str | None, typer.Option("--build", help="Build command (CC/CFLAGS... injected).")] = None,
    sandbox: Annotated[str, typer.Option(help="auto, docker or local.")] = "auto",
    timeout: Annotated[float, typer.Option(help="Seconds each run may take before it is killed.")] = 120.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    static: Annotated[bool, typer.Option("--static/--no-static",
                                         help="Also report the races the loop analysis proves from the source and "
                                              "its OpenMP directives (marked static).")] = True,
) -> None:
    """Build PATH for race checking (clang + TSan + Archer) in the sandbox, run it, report races by source line;
    add the races the loop analysis proves from the directives (static), which no run has to meet."""
    from hpcagent.sandbox.backends import copy_tree, get_sandbox, scratch_dir
    from hpcagent.sandbox.build import BuildSpec
    from hpcagent.sandbox.racecheck import race_check
    from hpcagent.tools.loops.static_races import static_races

    thread_counts = parse_threads(threads)
    try:
        spec = BuildSpec.detect(path, build_cmd)
        if run is None and spec.kind != "file":
            raise HpcAgentError(f"cannot tell how to run the program built in {path}",
                                'say it with --run "./prog ARGS"')
        box = get_sandbox(sandbox)
    except HpcAgentError as exc:
        fail(exc)
    work = scratch_dir("hpcagent-check-")
    try:
        copy_tree(path, work / "src")
        result = race_check(box, work, spec, run or spec.binary, threads=thread_counts, repeats=repeats,
                            cwd="src", run_timeout=timeout)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if static:
        result = with_static(result, static_races(path))
    if json_out:
        typer.echo(json.dumps({**result.to_dict(), "sandbox": box.name}, indent=2))
    else:
        _print_check(result, box.name)
    if not result.build.ok:
        raise typer.Exit(2)
    if result.races:
        raise typer.Exit(1)
    raise typer.Exit(0 if result.ran else 2)


def with_static(result: RaceCheck, found: list[RaceSite]) -> RaceCheck:
    """The race check with the statically proven races added after TSan's (each says its source)."""
    result.races = [*result.races, *found]
    result.clean = result.clean and not found
    return result


def _print_check(result: RaceCheck, sandbox: str) -> None:
    from hpcagent.tools.tsan import summary_lines

    build = result.build
    if not build.ok:
        typer.echo(f"build FAILED: {build.reason}")
        for d in build.diagnostics[:20]:
            typer.echo(f"  {diagnostic_line(d)}")
        if not build.diagnostics:
            typer.echo("  " + "\n  ".join(build.log.splitlines()[-15:]))
        return
    typer.echo(f"race check ({sandbox} sandbox): {result.describe()}")
    if result.timed_out:
        typer.echo("a run timed out and was killed (a racy program may never end): the races it reported before "
                   "are kept")
    if result.races:
        typer.echo(f"{len(result.races)} data race(s):")
        for line in summary_lines(result.races):
            typer.echo(f"  {line}")
    elif result.ran:
        typer.echo("no data race reported (evidence, not proof: TSan sees only the paths these runs executed)")
    else:
        typer.echo("the program did not run to completion, so the race check is incomplete")
