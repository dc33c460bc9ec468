"""Build and apply line edits (on a text or a private copy of a tree); the unified diff that `git apply` takes."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from hpcagent.records import Edit
from hpcagent.tools.sources import PARSED


class EditError(ValueError):
    """An edit does not fit the file (bad range, overlapping another edit, file missing)."""


def indentation(lines: Sequence[str], line: int) -> str:
    """The leading whitespace of line `line` (1-based) of lines; '' for a line outside them."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return text[: len(text) - len(text.lstrip())]


def insert_before(file: str, line: int, text: str, lines: Sequence[str]) -> Edit:
    """An edit that inserts text as a new line before line `line` of file, indented like that line (of lines)."""
    return Edit(file, line, line - 1, indentation(lines, line) + text + "\n")


def apply_to_text(text: str, edits: list[Edit], name: str = "") -> str:
    """Apply one file's edits to its text (bottom-up so line numbers stay valid); EditError if they do not fit."""
    lines = text.splitlines(keepends=True)
    crlf = bool(lines) and lines[0].endswith("\r\n")  # a file with Windows line endings keeps them
    last_end = None
    for e in sorted(edits, key=lambda e: (e.start_line, e.end_line), reverse=True):
        if not (1 <= e.start_line <= len(lines) + 1) or e.end_line < e.start_line - 1 or e.end_line > len(lines):
            raise EditError(f"{name}: lines {e.start_line}-{e.end_line} are outside the file ({len(lines)} lines)")
        if last_end is not None and e.end_line >= last_end:
            raise EditError(f"{name}: edits overlap at line {e.end_line}")
        new = e.new_text if e.new_text.endswith("\n") or not e.new_text else e.new_text + "\n"
        if crlf:
            new = new.replace("\r\n", "\n").replace("\n", "\r\n")
        lines[e.start_line - 1:e.end_line] = new.splitlines(keepends=True)
        last_end = e.start_line
    return "".join(lines)


def apply_edits(root: Path, edits: list[Edit]) -> list[str]:
    """Apply edits to the files under root; return the files changed."""
    by_file: dict[str, list[Edit]] = {}
    for e in edits:
        by_file.setdefault(e.file, []).append(e)
    for rel, file_edits in by_file.items():
        path = Path(root) / rel
        if not path.is_file():
            raise EditError(f"{rel}: no such file")
        path.write_text(apply_to_text(read_exact(path), file_edits, rel), newline="", errors="surrogateescape")
    return sorted(by_file)


def read_exact(path: Path) -> str:
    """A file's text with its line endings as they are (\r\n kept: the patch must apply to the user's file)."""
    with open(path, newline="", errors="surrogateescape") as fh:
        return fh.read()


def unified_diff(orig_root: Path, new_root: Path, files: list[str]) -> str:
    """Return a git-style diff (a/ b/ prefixes) of the given files between two trees."""
    chunks = []
    for rel in sorted(set(files)):
        old = read_exact(Path(orig_root) / rel).splitlines(keepends=True)
        new = read_exact(Path(new_root) / rel).splitlines(keepends=True)
        if old == new:
            continue
        body = list(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}", n=3))
        fixed = []
        for line in body:
            if line.endswith("\n"):
                fixed.append(line)
            else:  # the last line of a file with no newline at its end
                fixed.append(line + "\n\\ No newline at end of file\n")
        chunks.append(f"diff --git a/{rel} b/{rel}\n" + "".join(fixed))
    return "".join(chunks)


def original_line(edits: list[Edit], file: str, line: int) -> int | None:
    """The original line that line `line` of `file` in the edited tree comes from; None for a line an edit wrote."""
    shift = 0
    for e in sorted((e for e in edits if e.file == file), key=lambda e: e.start_line):
        new_lines = e.new_text.count("\n") + (0 if e.new_text.endswith("\n") or not e.new_text else 1)
        old_lines = e.end_line - e.start_line + 1
        first_new = e.start_line + shift
        if line < first_new:
            break
        if line < first_new + new_lines:
            return None
        shift += new_lines - old_lines
    return line - shift


def added_lines(orig: Path, tree: Path) -> list[tuple[str, int, str]]:
    """(file, line in the changed file, text) of every line the change added to a C/C++ source."""
    out = []
    for path in sorted(p for p in tree.rglob("*") if p.is_file() and p.suffix in PARSED):
        rel = path.relative_to(tree)
        if (orig / rel).is_file() and (orig / rel).read_bytes() == path.read_bytes():
            continue  # unchanged (data files are never read line by line)
        before = (orig / rel).read_text(errors="replace").splitlines() if (orig / rel).is_file() else []
        after = path.read_text(errors="replace").splitlines()
        for op, _, _, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
            if op in ("insert", "replace"):
                out += [(str(rel), j + 1, after[j]) for j in range(j1, j2)]
    return out
