"""`hpcagent analyze PATH [--json]`: the loops of a file or tree, their verdicts and proposed pragmas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hpcagent.errors import BadInput


def analyze(
    path: Annotated[Path, typer.Argument(help="A C/C++ file or a directory.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Find the loops of PATH and say which can run in parallel, with the OpenMP pragma."""
    from hpcagent.tools.loops.analysis import analyze_path, format_table

    try:
        result = analyze_path(path)
    except BadInput as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(result, indent=2) if json_out else format_table(result))
