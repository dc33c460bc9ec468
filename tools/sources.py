"""Which files are C/C++ code: one table of suffixes, and one listing of the sources in a file or a tree.

Headers: a build compiles translation units and includes headers, so what is compiled (`COMPILED`: picking the one
source of a directory to build, the driver for a file, the optimizer's targets) has no headers; the loop analyser
reads every file it can parse (`PARSED`), headers and CUDA included, since inline functions and their loops live
there. Suffixes match exactly (`.C` is C++), except that `lang_for` folds case for the C family (`.H` is C).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from pathlib import Path

C_SOURCES = frozenset({".c"})
CXX_SOURCES = frozenset({".cpp", ".cc", ".cxx", ".C", ".c++"})
"""Compiled with the C++ driver."""
C_HEADERS = frozenset({".h"})
"""Parsed as C (a header that uses C++ syntax is not guessed)."""
CXX_HEADERS = frozenset({".hpp", ".hh", ".hxx"})
CUDA = frozenset({".cu"})
"""Parsed as C++; never compiled here (no nvcc)."""

COMPILED = C_SOURCES | CXX_SOURCES
"""Translation units: what a build compiles. No headers, no CUDA."""
C_FILES = C_SOURCES | C_HEADERS
"""Parsed with the C grammar."""
CXX_FILES = CXX_SOURCES | CXX_HEADERS | CUDA
"""Parsed with the C++ grammar."""
PARSED = C_FILES | CXX_FILES
"""What the loop analyser reads: COMPILED, the headers and CUDA."""
SKIP_DIRS = frozenset({".git", ".hpcagent", "build", "CMakeFiles"})
"""Directories build_output passes over."""


def lang_for(path: Path) -> str | None:
    """Return the grammar for a file, 'c' or 'cpp', from its name; None if it is not C/C++."""
    if path.suffix in CXX_FILES:
        return "cpp"
    if path.suffix.lower() in C_FILES:
        return "c"
    return None


def hidden(rel: Path) -> bool:
    """A path under a directory whose name starts with '.', or a file whose name does (`hpcagent analyze`)."""
    return any(part.startswith(".") for part in rel.parts)


def build_output(rel: Path) -> bool:
    """A path under version control, hpcagent's own or a build directory, or a file named build-hpcagent* (the
    optimizer's rule: other hidden directories are kept)."""
    return bool(set(rel.parts[:-1]) & SKIP_DIRS) or rel.name.startswith("build-hpcagent")


def source_files(path: Path, suffixes: Collection[str] = PARSED, skip: Callable[[Path], bool] = hidden,
                 include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[Path]:
    """The files with one of the suffixes at path (a file, or a directory tree), sorted; [] if none.

    In a tree: those matching the include glob patterns if any are given (skip does not apply to them), else every
    file whose path relative to the tree skip does not reject; minus those matching an exclude pattern.
    """
    path = Path(path)
    if path.is_file():
        return [path] if path.suffix in suffixes else []
    include = list(include)
    if include:
        files = {p for pattern in include for p in path.glob(pattern)}
    else:
        files = {p for p in path.rglob("*") if not skip(p.relative_to(path))}
    files -= {p for pattern in exclude for p in path.glob(pattern)}
    return sorted(p for p in files if p.is_file() and p.suffix in suffixes)
