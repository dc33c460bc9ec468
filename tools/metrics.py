"""Per-function size and complexity from lizard, used to rank loops when there is no profile."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lizard


@dataclass
class FunctionMetrics:
    """One function's lizard numbers."""

    name: str
    nloc: int
    ccn: int
    start_line: int
    end_line: int


def function_metrics(path: Path) -> list[FunctionMetrics]:
    """Return lizard's metrics for each function of a file (empty if lizard cannot read it)."""
    try:
        info = lizard.analyze_file(str(path))
    except Exception:
        return []
    return [FunctionMetrics(f.name.split("::")[-1], f.nloc, f.cyclomatic_complexity, f.start_line, f.end_line)
            for f in info.function_list]


def metrics_at(metrics: list[FunctionMetrics], line: int) -> FunctionMetrics | None:
    """The innermost function containing line."""
    found = [m for m in metrics if m.start_line <= line <= m.end_line]
    return min(found, key=lambda m: m.end_line - m.start_line) if found else None
