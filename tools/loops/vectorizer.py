"""The compiler's own vectorization report, per source line, for `#pragma omp simd` candidates.

Each translation unit the profile build compiled is compiled once more in the sandbox with its logged command and
the compiler's report switched on (gcc's vectorizer dump `-fdump-tree-vect-details`, clang `-Rpass=loop-vectorize
-Rpass-missed=loop-vectorize`), no object written. The messages are folded into {line: state} per
file of the project, keyed like the views (tools/loops/views.py) by the hash of the file as written, so a file
edited since is never matched with a stale report. The analysis offers `omp simd` only on an inner loop it proved
parallel or a scalar reduction whose line the compiler reported as not vectorized: forcing vectorization on a loop
the compiler already vectorizes gains nothing, and on one with a dependence it would be wrong.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from hpcagent.tools.loops.views import digest, preprocess_argv

REPORT = "vectorize.json"
"""The saved report, beside the views (work/views)."""

_GCC = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):\d+: (?P<kind>optimized|missed|note): (?P<text>.*)$")
_CLANG = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):\d+: remark: (?P<text>.*)\[-Rpass(?P<missed>-missed)?="
                    r"loop-vectorize\]\s*$")

VERDICT_LINES = (r": (optimized: loop vectorized|missed: couldn't vectorize loop|note: +using an in-order)"
                 r"|remark: .*\[-Rpass(-missed)?=loop-vectorize\]")
"""grep -E pattern of the messages parse_report reads (the rest is left in the sandbox)."""

_REPORTS: dict[str, dict[int, str]] = {}


def flavour(compiler: str) -> str | None:
    """gcc or clang by the compiler's name (a wrapper's real compiler); None for one whose report is not read."""
    name = os.path.basename(compiler)
    if "clang" in name:
        return "clang"
    if re.match(r"^(gcc|g\+\+|cc|c\+\+)(-\d+)?$", name) or name.endswith(("-gcc", "-g++")):
        return "gcc"
    return None


def report_argv(arguments: list[str], source: str) -> list[str] | None:
    """The logged compile `arguments` turned into one that compiles `source` alone to nowhere with the vectorizer's
    report on standard error; None for a compiler whose report this module cannot read."""
    kind = flavour(arguments[0])
    if kind is None:
        return None
    argv = preprocess_argv(arguments, source, "-")[:-3]  # the same command without its -E -o -
    # gcc: its vectorizer dump (the -fopt-info messages leave out the fold-left note), on standard output
    flags = ["-fdump-tree-vect-details=/dev/stdout"] if kind == "gcc" else \
        ["-Rpass=loop-vectorize", "-Rpass-missed=loop-vectorize"]
    return [*argv, *flags, "-c", "-o", "/dev/null"]


RANK = {"missed": 0, "vectorized": 1, "in-order": 2}
"""Several messages on one line: the highest rank tells."""


def parse_report(text: str, directory: str) -> dict[str, dict[int, str]]:
    """{absolute file: {line: "vectorized" | "missed" | "in-order"}} from a compiler's messages. A line with any
    loop vectorized (gcc also reports the scalar epilogue or another version of a loop it vectorized as missed) is
    "vectorized"; one where only a whole loop was reported not vectorized is "missed"; "in-order" when gcc kept a
    floating-point reduction in its sequential order (a fold-left reduction: the loop counts as vectorized, its sum
    is still one add after another). Other notes and passes are ignored."""
    out: dict[str, dict[int, str]] = {}
    for raw in text.splitlines():
        m = _GCC.match(raw)
        if m:
            words, kind = m.group("text"), m.group("kind")
            if kind == "optimized":
                state = "vectorized" if "loop vectorized" in words else None
            elif kind == "note":
                state = "in-order" if words.strip().startswith("using an in-order (fold-left) reduction") else None
            else:
                state = "missed" if words.startswith("couldn't vectorize loop") else None
        else:
            m = _CLANG.match(raw)
            if not m:
                continue
            words = m.group("text")
            state = "missed" if m.group("missed") and words.startswith("loop not vectorized") else \
                "vectorized" if not m.group("missed") and words.startswith("vectorized loop") else None
        if state is None:
            continue
        file = os.path.normpath(os.path.join(directory, m.group("file")))
        lines = out.setdefault(file, {})
        note(lines, int(m.group("line")), state)
    return out


def note(lines: dict[int, str], line: int, state: str) -> None:
    """Record what a message says of a line, unless a message of a higher rank (RANK) already did."""
    if RANK[state] >= RANK.get(lines.get(line, "missed"), 0):
        lines[line] = state


def save(folder: Path, reports: dict[str, dict[int, str]], hashes: dict[str, str]) -> None:
    """Save per-file reports (relative path -> {line: state}) under the hashes of the files as written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = {hashes[rel]: {str(k): v for k, v in lines.items()} for rel, lines in reports.items() if rel in hashes}
    (folder / REPORT).write_text(json.dumps(data, indent=1, sort_keys=True))


def activate(folder: Path) -> int:
    """Register the report saved in folder (clearing any registered before); the number of files it covers."""
    _REPORTS.clear()
    path = Path(folder) / REPORT
    if path.is_file():
        try:
            data = json.loads(path.read_text())
        except ValueError:
            data = {}
        for key, lines in data.items():
            _REPORTS[key] = {int(k): v for k, v in lines.items()}
    return len(_REPORTS)


def use(reports: dict[bytes, dict[int, str]]) -> None:
    """Register reports for files given by their bytes (tests, and callers that compiled the files themselves)."""
    _REPORTS.clear()
    _REPORTS.update({digest(data): lines for data, lines in reports.items()})


def state(data: bytes, line: int) -> str | None:
    """What the compiler said of the loop at this line of the file with these bytes (as written): vectorized,
    missed, in-order, or None when it said nothing or no report covers the file."""
    lines = _REPORTS.get(digest(data)) if _REPORTS else None
    return lines.get(line) if lines else None
