"""The sources as the compiler sees them: each translation unit preprocessed with its own compile command, folded
back onto the lines of the files it came from.

tree-sitter reads a file as written: a type macro, a scalar macro that expands to its argument, a `DOT(a, b)`
helper or an `#ifdef VERBOSE` block all look like calls to unknown functions or dead code it cannot judge. The
compiler's preprocessor settles all of that. Each source is run through `-E` with the arguments of the compile
that built it (its defines and include paths); the line markers of the output say, for every line, which file and
line it came from. A *view* of a file keeps its line numbering: line N of the view is what the preprocessor made
of line N of the file (a blank line for a directive or an inactive `#if` branch, the expansion for a line that uses
a macro). The analysis reads the view and every line number it reports is the file's own, so proposals still edit
the original text. Only files inside the project get views; system headers are never edited.

Views are keyed by the hash of the file's bytes, so an edited copy of a file (a candidate tree) falls back to its
raw text, and so does a file no compile command covers.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from hpcagent.tools.sources import COMPILED, PARSED

MARKER = re.compile(r'^#(?:line)?\s*(\d+)\s+"((?:[^"\\]|\\.)*)"')
"""A line marker of gcc or clang -E output: `# 12 "src/a.c" 2`."""
_DROP_WITH_VALUE = {"-o", "-MF", "-MT", "-MQ", "-MJ"}
_DROP = {"-c", "-S", "-E", "-M", "-MM", "-MD", "-MMD", "-MP", "-MG", "-shared", "-static", "-pie", "-rdynamic"}
_OBJECTS = (".o", ".a", ".so", ".lo", ".obj", ".dylib")
LOOP_WORD = re.compile(r"\b(?:for|while|do)\b")
INDEX = "index.json"

_VIEWS: dict[str, bytes] = {}
"""sha256 of a file's bytes -> its view (registered by use / load)."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def use(views: dict[str, bytes]) -> None:
    """Register views (file hash -> view text) for parse_file; replaces what was registered before."""
    _VIEWS.clear()
    _VIEWS.update(views)


def view_of(data: bytes) -> bytes | None:
    """The registered view of a file with these bytes, if any."""
    return _VIEWS.get(digest(data)) if _VIEWS else None


def generation() -> tuple:
    """What is registered, for caches of parsed programs."""
    return tuple(sorted(_VIEWS))


def source_argument(arguments: list[str], directory: str, file: str) -> str | None:
    """The argument of a compile command that names `file` (absolute, or relative to `directory`)."""
    want = os.path.normpath(os.path.join(directory, file))
    return next((a for a in arguments[1:] if not a.startswith("-") and Path(a).suffix in COMPILED
                 and os.path.normpath(os.path.join(directory, a)) == want), None)


def preprocess_argv(arguments: list[str], source: str, out: str) -> list[str]:
    """The compile command `arguments` turned into one that preprocesses its argument `source` alone into `out`
    (`-` for standard output; comments go, as `-C` would shift lines after a multi-line comment): output,
    dependency and link-only arguments dropped, the command's other sources and objects left out."""
    argv = [arguments[0]]
    skip = False
    for arg in arguments[1:]:
        if skip:
            skip = False
            continue
        if arg in _DROP_WITH_VALUE:
            skip = True
            continue
        if arg in _DROP or arg.startswith(("-l", "-Wl,")):
            continue
        if arg != source and not arg.startswith("-") and (Path(arg).suffix in COMPILED or arg.endswith(_OBJECTS)):
            continue
        argv.append(arg)
    if source not in argv[1:]:
        argv.append(source)
    return [*argv, "-E", "-o", out]


def fold(pp_text: str, directory: str) -> dict[str, list[str]]:
    """Fold preprocessed output back onto its files: {absolute file: [text of line 1, line 2, ...]} (a line the
    output does not mention is ''; pieces landing on one line are joined by a space)."""
    pieces: dict[str, dict[int, list[str]]] = {}
    cur: str | None = None
    line = 0
    for text in pp_text.removesuffix("\n").split("\n"):
        m = MARKER.match(text)
        if m:
            line = int(m.group(1))
            name = m.group(2).replace('\\"', '"').replace("\\\\", "\\")
            cur = None if name.startswith("<") else os.path.normpath(os.path.join(directory, name))
            continue
        if cur is not None:
            pieces.setdefault(cur, {}).setdefault(line, []).append(text)
        line += 1
    out = {}
    for file, lines in pieces.items():
        last = max(lines)
        out[file] = [" ".join(p for p in lines.get(i, []) if p.strip()) for i in range(1, last + 1)]
    return out


def view_text(raw: bytes, folded: list[str]) -> bytes | None:
    """The view of a file: as many lines as the raw file, each the preprocessed text of that line; None when the
    preprocessor's lines cannot be those of this file (more lines than the file has)."""
    raw_lines = raw.split(b"\n")  # line numbers as the parser counts them (a CR before the LF is on its line)
    if len(folded) > len(raw_lines) + 1:
        return None
    lines = [folded[i] if i < len(folded) else "" for i in range(len(raw_lines))]
    if any(v.strip() and not r.strip() for r, v in zip(raw_lines, lines)):
        return None  # text where the file has an empty line: the lines have drifted apart
    return "\n".join(lines).encode()


def raw_line(raw: bytes, line: int) -> str:
    lines = raw.decode("utf-8", "replace").split("\n")
    return lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""


def in_macro(raw: bytes, line: int) -> bool:
    """A loop the view has at `line` but whose keyword the file's own line does not hold: it comes from a macro's
    body (or a multi-line macro call folded onto the line) and is not edited."""
    return LOOP_WORD.search(raw_line(raw, line)) is None


def from_macro(raw: bytes, view: bytes, line: int) -> bool:
    """Whether the view has a loop keyword on `line` that the file's line does not (a loop a macro wrote)."""
    return LOOP_WORD.search(raw_line(view, line)) is not None and in_macro(raw, line)


def same_lines(raw: bytes, view: bytes, start: int, end: int) -> bool:
    """Whether lines start..end read the same in the file and its view (no macro expanded there): what a change
    that rewrites those lines may replace."""
    r = raw.decode("utf-8", "replace").split("\n")
    v = view.decode("utf-8", "replace").split("\n")
    for i in range(start - 1, end):
        a = r[i] if i < len(r) else ""
        b = v[i] if i < len(v) else ""
        if "".join(a.split()) != "".join(b.split()) and not re.match(r"\s*(//|/\*)", a):
            return False
    return True


@dataclass
class Views:
    """The views of one tree and what became of each of its files."""

    views: dict[str, bytes] = field(default_factory=dict)
    """relative path -> view text."""
    hashes: dict[str, str] = field(default_factory=dict)
    """relative path -> sha256 of the raw file the view belongs to."""
    raw: dict[str, str] = field(default_factory=dict)
    """relative path of a translation unit read as written -> why."""

    def register(self) -> None:
        use({self.hashes[rel]: text for rel, text in self.views.items()})

    def summary(self) -> dict:
        return {"preprocessed": sorted(self.views), "raw": dict(sorted(self.raw.items()))}

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for rel, text in self.views.items():
            (folder / self.hashes[rel]).write_bytes(text)
        (folder / INDEX).write_text(json.dumps({"hashes": self.hashes, "raw": self.raw}, indent=1, sort_keys=True))

    @classmethod
    def activate(cls, folder: Path) -> Views | None:
        """Load the views saved in folder and register them for parse_file (clearing any registered before);
        None, with nothing registered, when the folder holds none. The compiler's vectorization report saved there
        (tools/loops/vectorizer.py) is registered with them."""
        from hpcagent.tools.loops import vectorizer

        vectorizer.activate(folder)
        found = cls.load(folder)
        if found is None:
            use({})
        else:
            found.register()
        return found

    @classmethod
    def load(cls, folder: Path) -> Views | None:
        index = Path(folder) / INDEX
        if not index.is_file():
            return None
        data = json.loads(index.read_text())
        views = {rel: (Path(folder) / h).read_bytes() for rel, h in data["hashes"].items() if (Path(folder) / h).is_file()}
        return cls(views, {rel: data["hashes"][rel] for rel in views}, data.get("raw", {}))


def build(tree: Path, units: list[tuple[str, str, int]], outputs: dict[str, str], here) -> Views:
    """Views of the files under `tree` from preprocessed units.

    units: (relative source, directory of its compile as the compiler saw it, exit code of its preprocessing);
    outputs: relative source -> preprocessed text; here: a path as the compiler saw it -> the path on this side
    (None when outside the tree)."""
    tree = Path(tree).resolve()
    out = Views()
    for rel, directory, code in units:
        text = outputs.get(rel)
        if code != 0 or not text:
            out.raw.setdefault(rel, f"its preprocessing failed (exit {code})" if code else "no preprocessed output")
            continue
        for file, folded in fold(text, directory).items():
            local = here(file)
            if local is None or Path(local).suffix not in PARSED:
                continue
            try:
                name = str(Path(local).resolve().relative_to(tree))
            except ValueError:
                continue
            if name in out.views or not Path(local).is_file():
                continue
            raw = Path(local).read_bytes()
            view = view_text(raw, folded)
            if view is None:
                out.raw.setdefault(name, "its preprocessed lines do not match the file")
                continue
            out.views[name] = view
            out.hashes[name] = digest(raw)
            out.raw.pop(name, None)
    return out


def from_compile_commands(tree: Path, entries: list[dict], sources: list[Path] | None = None,
                          timeout: float = 120.0) -> Views:
    """Preprocess on this machine with the commands of a compile_commands.json (`hpcagent analyze
    --compile-commands`); translation units with no entry are read raw and say so."""
    tree = Path(tree).resolve()
    units, outputs, seen = [], {}, set()
    for entry in entries:
        directory = entry.get("directory", ".")
        argv = entry.get("arguments") or shlex.split(entry.get("command", ""))
        file = entry.get("file")
        if not argv or not file:
            continue
        path = Path(directory, file).resolve()
        try:
            rel = str(path.relative_to(tree))
        except ValueError:
            continue
        if rel in seen:
            continue
        seen.add(rel)
        source = source_argument(argv, directory, file) or file
        try:
            res = subprocess.run(preprocess_argv(argv, source, "-"), cwd=directory, capture_output=True, text=True,
                                 timeout=timeout, errors="replace")
            code, text = res.returncode, res.stdout
        except (OSError, subprocess.TimeoutExpired):
            code, text = 127, ""
        outputs[rel] = text
        units.append((rel, directory, code))
    out = build(tree, units, outputs, lambda p: p)
    for src in sources or []:
        rel = str(Path(src).resolve().relative_to(tree))
        if rel not in out.views and rel not in out.raw and Path(src).suffix in COMPILED:
            out.raw[rel] = "no compile command"
    return out
