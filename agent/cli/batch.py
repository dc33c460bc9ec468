"""`hpcagent batch JOBS.toml`: several code bases overnight, one after another; the same command continues."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hpcagent.agent.cli.sandbox import fail
from hpcagent.errors import HpcAgentError

Opt = typer.Option


def batch(
    jobs: Annotated[Path, typer.Argument(help="A TOML file of job tables (each with the keys of optimize).")],
    out: Annotated[Path | None, Opt(help="Runs folder (default: out in the batch table, else .hpcagent/runs).")] = None,
    until: Annotated[str | None, Opt(help="Start no job after HH:MM, and end each job's budget there.")] = None,
    budget: Annotated[str | None, Opt(help="Wall-clock budget of the whole batch, e.g. 8h or 90m.")] = None,
    keep_work: Annotated[bool, Opt("--keep-work", help="Keep finished runs' build trees (pruned by default; the "
                                                       "original sources are always kept).")] = False,
    quiet: Annotated[bool, Opt("--quiet", "-q", help="Only the batch's own lines and the table.")] = False,
    cluster: Annotated[str, Opt(help="serial: one job after another here (default). local: jobs as tasks on a "
                                     "Dask LocalCluster. slurm: on Slurm through dask-jobqueue, settings from "
                                     "the batch.slurm table of the jobs file.")] = "serial",
) -> None:
    """Run every job of JOBS; calling it again continues unfinished jobs and redoes no finished one."""
    from hpcagent.agent.run.batch import format_batch, run_batch
    from hpcagent.agent.run.progress import make_echo

    try:
        result = run_batch(jobs, out, until, budget, keep_work, make_echo("quiet" if quiet else "live"),
                           say=lambda text: typer.echo(text, err=True), cluster=cluster)
    except HpcAgentError as exc:
        fail(exc)
    typer.echo(format_batch(result))
    raise typer.Exit(result.exit_code)
