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
    compile_commands: Annotated[Path | None, typer.Option(
        "--compile-commands", "-p",
        help="A compile_commands.json: each source it covers is preprocessed with its command and analysed as the "
             "compiler sees it (macros expanded, inactive #if branches gone). Default: compile_commands.json at "
             "the directory's root or in its build/ when there is one; --raw reads every file as written.")] = None,
    raw: Annotated[bool, typer.Option("--raw", help="Read every file as written (no preprocessing).")] = False,
) -> None:
    """Find the loops of PATH and say which can run in parallel, with the OpenMP pragma."""
    from hpcagent.tools.loops.analysis import analyze_path, format_table

    if compile_commands is None and not raw:
        root = path if path.is_dir() else path.parent
        compile_commands = next((c for c in (root / "compile_commands.json", root / "build" / "compile_commands.json")
                                 if c.is_file()), None)
    try:
        result = analyze_path(path, None if raw else compile_commands)
    except BadInput as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(result, indent=2) if json_out else format_table(result))
