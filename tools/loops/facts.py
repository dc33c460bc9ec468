"""The records a loop-body scan produces, and the names of I/O, exit and read-only member functions."""

from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter as ts

from hpcagent.tools.loops.affine import Affine
from hpcagent.tools.loops.cparse import line_of
from hpcagent.tools.loops.nests import Loop

IO_FUNCTIONS = {"printf", "fprintf", "puts", "putchar", "fputs", "fputc", "putc", "fwrite", "fread", "scanf",
                "fscanf", "fgets", "getchar", "getc", "fgetc", "fflush", "perror", "fopen", "fclose", "write",
                "read", "cout", "cerr", "cin", "clog", "print", "println"}
EXIT_FUNCTIONS = {"exit", "abort", "_Exit", "quick_exit", "longjmp", "terminate"}
HIDDEN_STATE = {"rand", "random", "srand", "srandom", "drand48", "lrand48", "mrand48", "srand48", "strtok", "getenv",
                "setlocale", "localtime", "gmtime", "asctime", "ctime"}
"""Library functions that read and update state of their own: each call's result depends on every call before it,
so the iterations that get which values would depend on the schedule (and most are not thread-safe)."""
READ_METHODS = {"size", "empty", "begin", "end", "cbegin", "cend", "data", "capacity", "length", "at", "front",
                "back", "operator[]", "rows", "cols"}


@dataclass
class MemAccess:
    """One access to memory through a name: a[i][j], *p, p->x, or an array handed to a call."""

    base: str
    subscripts: list[ts.Node]
    write: bool
    node: ts.Node
    inner: tuple[Loop, ...]
    """Loops inside the analysed loop that enclose this access, outermost first."""
    via: str = "subscript"
    """subscript, deref (a pointer dereference or ->), call (array passed to a call)."""
    offset: Affine | None = None
    """Added to the first subscript: the access went through a row pointer (row = &base[offset])."""

    @property
    def line(self) -> int:
        return line_of(self.node)


@dataclass
class ScalarSite:
    """One read or write of a scalar name; for writes, the assignment it belongs to."""

    name: str
    write: bool
    node: ts.Node
    op: str = ""
    """The assignment operator for writes ('=', '+=', '++'...)."""


@dataclass
class BodyFacts:
    """Everything one iteration of a loop touches."""

    sites: list[ScalarSite] = field(default_factory=list)
    exposed: set[str] = field(default_factory=set)
    """Scalars read before any write in some path of an iteration (upward-exposed reads)."""
    defined_end: set[str] = field(default_factory=set)
    """Scalars written on every path through an iteration."""
    declared: set[str] = field(default_factory=set)
    mem: list[MemAccess] = field(default_factory=list)
    calls: list[tuple[str, ts.Node]] = field(default_factory=list)
    exits: list[tuple[str, int]] = field(default_factory=list)
    io: list[tuple[str, int]] = field(default_factory=list)
    address_taken: set[str] = field(default_factory=set)
    methods: list[tuple[str, str, ts.Node]] = field(default_factory=list)
    """(object, method, node) for C++ member calls."""
    call_loops: dict[int, tuple[Loop, ...]] = field(default_factory=dict)
    """id of a call's node -> the loops inside the analysed loop that enclose it (as MemAccess.inner)."""

    def reads(self) -> set[str]:
        return {s.name for s in self.sites if not s.write}

    def writes(self) -> set[str]:
        return {s.name for s in self.sites if s.write}
