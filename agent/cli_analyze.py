"""`hpcagent analyze`: placeholder until the loop analysis lands (issue 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def analyze(
    path: Annotated[Path, typer.Argument(help="A C/C++ file or a directory.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Find the loops of PATH and say which can run in parallel, with the OpenMP pragma."""
    raise typer.Exit(2)
