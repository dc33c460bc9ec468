"""`hpcagent runs`, `show`, `review`, `report` and `replay`: reading a night's runs in the morning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hpcagent.agent.cli.sandbox import fail
from hpcagent.errors import HpcAgentError

Opt = typer.Option
OUT_HELP = "Runs folder (default .hpcagent/runs in the current directory)."


def runs(
    out: Annotated[Path, Opt(help=OUT_HELP)] = Path(".hpcagent/runs"),
    json_out: Annotated[bool, Opt("--json", help="One JSON list.")] = False,
) -> None:
    """List the runs: id, status (running / done / stopped / failed), start, duration, loops, best speedup."""
    from hpcagent.agent.review.runs import format_runs, list_runs

    rows = list_runs(out)
    typer.echo(json.dumps([r.to_dict() for r in rows], indent=1) if json_out else format_runs(rows))


def show(
    run: Annotated[str, typer.Argument(help="A run id (under --out) or a run folder.")],
    out: Annotated[Path, Opt(help=OUT_HELP)] = Path(".hpcagent/runs"),
) -> None:
    """Print a run's report, rendered for the terminal."""
    from rich.console import Console
    from rich.markdown import Markdown

    from hpcagent.agent.review.runs import find_run, info

    try:
        run_dir = find_run(run, out)
    except HpcAgentError as exc:
        fail(exc)
    report = run_dir / "report.md"
    console = Console()
    if not report.exists():
        status = info(run_dir)
        console.print(f"run {run_dir.name} has no report yet ({status.status}"
                      f"{': ' + status.reason if status.reason else ''}); `hpcagent review {run_dir.name}` "
                      "steps through what it has done so far")
        raise typer.Exit(1)
    console.print(Markdown(report.read_text()))


def review(
    run: Annotated[str, typer.Argument(help="A run id (under --out) or a run folder.")],
    out: Annotated[Path, Opt(help=OUT_HELP)] = Path(".hpcagent/runs"),
    follow: Annotated[bool, Opt("--follow/--no-follow", help="Add steps as a running run records them.")] = True,
) -> None:
    """Step through a run in a terminal UI: n/p step, v next verdict, f next failure, l next loop, q quit."""
    from hpcagent.agent.review.runs import find_run
    from hpcagent.agent.review.tui import ReviewApp

    try:
        run_dir = find_run(run, out)
    except HpcAgentError as exc:
        fail(exc)
    ReviewApp(run_dir, follow=follow).run()


def report(
    run: Annotated[str, typer.Argument(help="A run id (under --out) or a run folder.")],
    html: Annotated[Path, Opt("--html", help="Write one self-contained HTML page here.")],
    out: Annotated[Path, Opt(help=OUT_HELP)] = Path(".hpcagent/runs"),
) -> None:
    """Write a run's report as one HTML file (summary, loop table, charts, every attempt; nothing loaded from
    elsewhere)."""
    from hpcagent.agent.review.html import write_html
    from hpcagent.agent.review.runs import find_run

    try:
        run_dir = find_run(run, out)
    except HpcAgentError as exc:
        fail(exc)
    typer.echo(str(write_html(run_dir, html)))


def replay(
    run: Annotated[str, typer.Argument(help="A run id (under --out) or a run folder.")],
    out: Annotated[Path, Opt(help=OUT_HELP)] = Path(".hpcagent/runs"),
    run_id: Annotated[str | None, Opt(help="Id of the new run (default RUN-replay).")] = None,
    sandbox: Annotated[str | None, Opt(help="auto | docker | local | fake:FILE (default: the run's own).")] = None,
    quiet: Annotated[bool, Opt("--quiet", "-q")] = False,
) -> None:
    """Run RUN again with its recorded proposals and model answers, and set the verdicts side by side."""
    from hpcagent.agent.review.replay import format_comparison
    from hpcagent.agent.review.replay import replay as do_replay
    from hpcagent.agent.review.runs import find_run
    from hpcagent.agent.run.progress import make_echo

    try:
        run_dir = find_run(run, out)
        _, new_dir, rows = do_replay(run_dir, run_dir.parent, run_id, sandbox, make_echo("quiet" if quiet else "live"))
    except HpcAgentError as exc:
        fail(exc)
    typer.echo(f"replayed {run_dir.name} as {new_dir.name}\n{format_comparison(rows)}")
    if any(not r.same and not r.timing_only for r in rows):
        raise typer.Exit(1)
