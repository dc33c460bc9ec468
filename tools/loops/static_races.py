"""The static half of the race check: what the loop analysis proves about code that already carries OpenMP directives.

ThreadSanitizer sees only what a run executed: the schedules it happened to take, never two lanes of one `simd`
loop (one thread runs them), nothing the optimizer removed (a static local's dead stores at -O1). Here each loop
a directive shares out is analysed as if it had none (the pragma lines blanked, line numbers kept) and held against
the directive's clauses with tools/loops/veto.py's rules. A race is reported only where the analysis proved one:

- a scalar the loop needs a reduction, private or lastprivate clause for, or carries from one iteration to the
  next (read and written), that the directive and its context leave shared;
- a dependence between iterations the dependence tests proved (not a possible one), on memory the loop shares;
- a static local, declared in the construct or in a function of the file it calls, that every thread writes;
- a scalar a task shares that its creator or a sibling task touches with nothing ordering them (task_races.py).

Left alone, so that nothing here is a false alarm: accesses under another directive inside the construct (atomic,
critical, ordered, a task), loops that take locks, constructs with an `if` clause or `num_threads(1)`, a parallel
construct inside another (inactive by default), loops of fewer than two iterations, struct members, array
reductions (whether two iterations meet in one element depends on the data: the race check's business).
"""

from __future__ import annotations

import re
from pathlib import Path

import tree_sitter as ts

from hpcagent.evidence import RaceSite
from hpcagent.tools.loops.analysis import LoopReport, analyze_source, checked_sources
from hpcagent.tools.loops.cparse import declarator_name, functions, line_of, parse, walk
from hpcagent.tools.loops.directives import (
    TEAMS,
    Construct,
    Directives,
    accesses,
    array_declarator,
    blank_pragmas,
    function_of,
    is_static,
    static_writes,
    unconditional,
)
from hpcagent.tools.loops.memory import root_name
from hpcagent.tools.loops.task_races import task_races
from hpcagent.tools.loops.veto import WORKSHARING, inner_reports, missing_clauses, names, privatized
from hpcagent.tools.sources import lang_for

_PAIR = re.compile(r"^(?P<w>.+?) \(line (?P<l1>\d+)\) vs (?P<a>.+?) \(line (?P<l2>\d+)\): "
                   r"(?P<kind>output|flow/anti) dependence (?P<status>\w+), (?P<why>.*)$")
"""One of LoopReport.dependences, as tools/loops/memory.py writes it."""
_LOCK = re.compile(r"lock|mutex", re.IGNORECASE)
_STRIPE = re.compile(r"&\s*(?P<array>\w+)\s*\[\s*(?P<index>\w+)\s*(?:%\s*(?P<mod>\d+)\s*)?\]")
"""A lock chosen by the loop index: &lock[i], &lock[i % 2]."""


class FileRaces:
    """The static races of one file."""

    def __init__(self, text: str, lang: str, file: str):
        self.file = file
        self.src = parse(text, lang)
        self.omp = Directives(self.src)
        self.reports = analyze_source(parse(blank_pragmas(text), lang), file)
        self.loops: dict[int, LoopReport] = {}
        for r in sorted(self.reports, key=lambda r: -r.depth):
            self.loops[r.line] = r
        self.threadprivate = self.omp.threadprivate
        self.functions = {name: fn for name, fn in functions(self.src)}
        self.races: dict[tuple[int, str], RaceSite] = {}

    def run(self) -> list[RaceSite]:
        for c in self.omp.all:
            if c.node is None or self.omp.inactive(c):
                continue
            if c.words & (TEAMS | WORKSHARING - {"simd"}):  # threads, not only simd lanes
                self._statics(c)
            if c.words & WORKSHARING and c.node.type in ("for_statement", "for_range_loop"):
                self._loop(c)
        for r in task_races(self.omp, self.file):
            self.races.setdefault((r.line, r.variable), r)
        return sorted(self.races.values(), key=lambda r: (r.line, r.variable))

    # -- the construct and its context ---------------------------------------------------------------------------

    def _private_context(self, c: Construct) -> tuple[set[str], set[str]]:
        """Names each thread has its own copy of whatever c's clauses say, and those of them that are arrays (a
        pointer's copy still points at shared memory): declared inside the team's region (or, for an orphaned
        directive, the function's automatic locals and parameters) or privatized by the region's clauses."""
        region = self.omp.region(c)
        scope = region.node if region is not None else function_of(c.node)
        if c.words & (TEAMS | {"simd"}) or scope is None:
            return set(self.threadprivate), set(self.threadprivate)
        decls = [d for n in walk(scope) if n.type in ("declaration", "parameter_declaration") and not c.holds(n)
                 and not is_static(self.src, n) and (region is None or n.type == "declaration")
                 for d in n.children_by_field_name("declarator")]
        out = {declarator_name(self.src, d) for d in decls}
        arrays = {declarator_name(self.src, d) for d in decls if array_declarator(d)}
        if region is not None:
            out |= privatized(region.clauses, []) | set(names(region.clauses.get("reduction", [])))
        return out | self.threadprivate, arrays | self.threadprivate

    def _shared(self, c: Construct, name: str, collapsed: list[LoopReport], context: set[str]) -> bool:
        clauses = c.clauses
        if any(a.strip() in ("private", "firstprivate") for a in clauses.get("default", [])):
            return name in names(clauses.get("shared", []))
        own = privatized(clauses, collapsed) | set(names(clauses.get("reduction", []))) | context
        return name not in own

    # -- loops a directive shares out ----------------------------------------------------------------------------

    def _loop(self, c: Construct) -> None:
        report = self.loops.get(line_of(c.node))
        if report is None or (report.trip_count is not None and report.trip_count < 2):
            return
        striped = self._takes_locks(c.node)
        if striped and not self._striped(c.node, report.index):
            return
        depth = next((int(a) for a in c.clauses.get("collapse", []) if a.strip().isdigit()), 1)
        collapsed = inner_reports(report, self.reports, depth)
        context, arrays = self._private_context(c)
        context |= {r.index for r in [report, *collapsed] if r.index}
        for r in [report, *collapsed]:
            self._scalars(c, r, collapsed, context)
            if not striped:  # an element of a striped array may be what its lock guards: scalars only
                self._dependences(c, r, arrays)

    def _takes_locks(self, node: ts.Node) -> bool:
        """The loop takes a lock, itself or through a function of this file: its accesses may be ordered."""
        for n in walk(node):
            if n.type == "identifier" and _LOCK.search(self.src.text_of(n)):
                return True
            if n.type == "call_expression":
                fn = self.functions.get(self.src.text_of(n.child_by_field_name("function")))
                if fn is not None and _LOCK.search(self.src.text_of(fn)):
                    return True
        return False

    def _striped(self, node: ts.Node, index: str) -> bool:
        """Every lock the loop takes is an element of a lock array chosen by the loop index (lock[i], lock[i % 2]):
        two iterations hold different locks, so none of them guards a scalar against the other iterations."""
        arrays, calls = set(), {"omp_set_lock", "omp_unset_lock"}
        for n in walk(node):
            fn = self.src.text_of(n.child_by_field_name("function")) if n.type == "call_expression" else ""
            if fn in self.functions and _LOCK.search(self.src.text_of(self.functions[fn])):
                return False  # a function of this file that takes a lock of its own
            if fn in calls:
                args = n.child_by_field_name("arguments").named_children
                m = _STRIPE.fullmatch(self.src.text_of(args[0])) if len(args) == 1 else None
                if m is None or m["index"] != index or (m["mod"] and int(m["mod"]) < 2):
                    return False
                arrays.add(m["array"])
        lockish = {self.src.text_of(n) for n in walk(node) if n.type == "identifier" and _LOCK.search(self.src.text_of(n))}
        return bool(index and arrays) and lockish <= arrays | calls

    def _scalars(self, c: Construct, r: LoopReport, collapsed: list[LoopReport], context: set[str]) -> None:
        for name, role in sorted(r.scalars.items()):
            if not re.fullmatch(r"[A-Za-z_]\w*", name) or not self._shared(c, name, collapsed, context):
                continue
            writes, reads = accesses(self.src, c.node, name)
            if not writes or any(self.omp.inner(c, n) for n in writes + reads):
                continue
            steady = [n for n in writes + (reads if role != "private" else []) if unconditional(n, c.node)]
            if not steady:  # every access behind a test: perhaps one iteration alone ever makes it
                continue
            if role.startswith("reduction("):
                needed = f"reduction({role[len('reduction('):-1]}:{name})"
            elif role in ("private", "lastprivate"):
                needed = f"{role}({name})"
            elif role == "carried" and reads:
                needed = ""  # read and written: its value flows from one iteration to the next
            else:
                continue
            missing = missing_clauses(r, c.clauses, collapsed, [needed]) if needed else []
            if needed and not missing:
                continue
            lines = sorted({line_of(n) for n in writes + reads})
            what = f"needs {missing[0]}" if missing else "carries its value from one iteration to the next"
            self._add(lines[0], lines[-1], name, "write-write", missing,
                      f"{name} is shared by the iterations of '{c.text}' (line {c.line}) and {what}")

    def _dependences(self, c: Construct, r: LoopReport, private_arrays: set[str]) -> None:
        safelen = next((int(a) for a in c.clauses.get("safelen", []) if a.strip().isdigit()), None)
        for note in r.dependences:
            m = _PAIR.match(note)
            if m is None or m["status"] != "dependent":
                continue
            name = root_name(m["w"])
            if name in private_arrays or name in privatized(c.clauses, []):
                continue
            distance = re.search(r"distance (\d+)", m["why"])
            if safelen is not None and (distance is None or int(distance[1]) >= safelen):
                continue
            lines = (int(m["l1"]), int(m["l2"]))
            touched = [n for n in walk(c.node) if n.type == "identifier" and self.src.text_of(n) == name
                       and line_of(n) in lines]
            if not touched or any(self.omp.inner(c, n) for n in touched):
                continue
            kind = "write-write" if m["kind"] == "output" else "write-read"
            self._add(lines[0], lines[1], name, kind, [],
                      f"'{c.text}' (line {c.line}) shares out a loop with a dependence between iterations: {note}")

    # -- static locals -------------------------------------------------------------------------------------------

    def _statics(self, c: Construct) -> None:
        """Static locals every thread of c writes: declared in c's statement, or in a function of this file that
        c's statement calls; the write (and the call) unconditional and under no other directive."""
        for name, node in static_writes(self.src, c.node, c.node):
            if not self.omp.inner(c, node) and name not in self.threadprivate:
                self._static(c, name, node)
        for call in walk(c.node):
            if call.type != "call_expression" or not unconditional(call, c.node) or self.omp.inner(c, call):
                continue
            fn = self.functions.get(self.src.text_of(call.child_by_field_name("function")))
            body = fn.child_by_field_name("body") if fn is not None else None
            if body is None or fn.start_byte <= c.node.start_byte < fn.end_byte:
                continue
            for name, node in static_writes(self.src, body, body):
                if name not in self.threadprivate and not self.omp.governed(node):
                    self._static(c, name, node)

    def _static(self, c: Construct, name: str, node: ts.Node) -> None:
        line = line_of(node)
        self._add(line, line, name, "write-write", [f"threadprivate({name})"],
                  f"static local {name} is one variable for every thread of '{c.text}' (line {c.line}), and each "
                  "writes it")

    def _add(self, line: int, other: int, name: str, kind: str, missing: list[str], summary: str) -> None:
        self.races.setdefault((line, name), RaceSite(
            file=self.file, line=line, other_file=self.file, other_line=other, kind=kind, variable=name,
            summary=summary, source="static", missing=missing))


def file_races(text: str, lang: str, file: str) -> list[RaceSite]:
    """The races the analysis proves in one file's source (file: the name to report)."""
    return FileRaces(text, lang, file).run()


def static_races(path: Path) -> list[RaceSite]:
    """The races the analysis proves in a file or a project tree; files named relative to the project (a file's
    folder), as the race check names them."""
    path = Path(path)
    root = path if path.is_dir() else path.parent
    out = []
    for f in checked_sources(path):
        rel = str(f.resolve().relative_to(root.resolve()))
        try:
            out += file_races(f.read_text(errors="replace"), lang_for(f) or "c", rel)
        except (ValueError, KeyError, IndexError, AttributeError, TypeError, RecursionError):
            continue  # odd syntax (unexpanded macros, parse errors) costs that file's static half, never the check
    return out
