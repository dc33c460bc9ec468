"""Read gprof's flat profiles (per function, and per source line with -l) into time shares."""

from __future__ import annotations

import re
from pathlib import Path

# " 95.00      1.90     1.90        1     1.90     1.90  jacobi" (calls columns are optional)
FLAT = re.compile(r"^\s*(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(?:\d+\s+\S+\s+\S+\s+)?(\S.*?)\s*$")
# the name column of `gprof -l`: "heat_step (heat.c:42 @ 401234)"
AT_LINE = re.compile(r"^(?P<func>\S+) \((?P<file>[^:()]+):(?P<line>\d+) @ [0-9a-fx]+\)$")


def parse_flat(text: str) -> list[dict]:
    """Parse the rows of a flat profile: {'share', 'self_seconds', 'name'} (share as a fraction)."""
    rows, started = [], False
    for line in text.splitlines():
        if "cumulative" in line or line.strip().startswith("time"):
            started = True
            continue
        if not started:
            continue
        m = FLAT.match(line)
        if m:
            rows.append({"share": float(m.group(1)) / 100.0, "self_seconds": float(m.group(3)),
                         "name": m.group(4)})
        elif rows and not line.strip():
            break
    return rows


def build_profile(functions_text: str, lines_text: str = "", root_prefixes: tuple[str, ...] = ()) -> dict:
    """Return {'functions': {name: share}, 'lines': {'file:line': share}, 'seconds': total sampled}."""
    functions: dict[str, float] = {}
    seconds = 0.0
    for row in parse_flat(functions_text):
        functions[row["name"]] = functions.get(row["name"], 0.0) + row["share"]
        seconds += row["self_seconds"]
    lines: dict[str, float] = {}
    for row in parse_flat(lines_text):
        m = AT_LINE.match(row["name"])
        if not m:
            continue
        path = m.group("file")
        for prefix in root_prefixes:
            path = path.removeprefix(prefix)
        key = f"{path}:{m.group('line')}"
        lines[key] = lines.get(key, 0.0) + row["share"]
    return {"functions": functions, "lines": lines, "seconds": round(seconds, 3)}


def loop_share(profile: dict, file: str, line: int, end_line: int, function: str = "") -> float | None:
    """Share of sampled time inside a loop's lines (per-line data), else its function's share, else None."""
    lines = profile.get("lines") or {}
    if lines:
        base = Path(file).name
        total = 0.0
        for key, share in lines.items():
            path, _, num = key.rpartition(":")
            if (path == file or Path(path).name == base) and line <= int(num) <= end_line:
                total += share
        return min(total, 1.0)  # gprof's rounded percentages can add up past 100
    if function and function in (profile.get("functions") or {}):
        return profile["functions"][function]
    return None
