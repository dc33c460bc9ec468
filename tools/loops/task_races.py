"""Races between tasks, and between a task and the code that created it, that no depend clause or wait orders.

A task may run as soon as it is created, on any thread of the team, until a taskwait or a barrier; TSan sees such a
race only when another thread happens to pick the task up in time. Proven here, for a scalar a task shares and
accesses unconditionally (under no atomic, critical or other directive inside it), one side a write:

- the creating code touches it after the task and before a taskwait or barrier;
- a later sibling task (created before such a wait) touches it, and no depend clause orders the two;
- the same task is created again (in a loop, or by every thread of a team) and its depend clauses do not order the
  instances.

Tasks with an if or final clause (perhaps undeferred or included), depend clauses with iterators, and teams of one
thread are left alone.
"""

from __future__ import annotations

import re

import tree_sitter as ts

from hpcagent.evidence import RaceSite
from hpcagent.tools.loops.cparse import line_of, walk
from hpcagent.tools.loops.directives import (
    Construct,
    Directives,
    accesses,
    declared,
    function_of,
    is_pragma,
    is_static,
    unconditional,
)
from hpcagent.tools.loops.veto import names, privatized

WAITS = {"taskwait", "barrier"}
PRIVATE = ("private", "firstprivate", "lastprivate", "reduction", "in_reduction")
LOOPS = {"for_statement", "while_statement", "do_statement", "for_range_loop"}
ONE_THREAD = {"single", "master", "masked", "critical", "section", "ordered", "task"}
"""Constructs one thread runs at a time: a task inside one is created once per encounter, not by every thread."""

Uses = dict[str, tuple[list[ts.Node], list[ts.Node]]]
"""name -> (writes, reads) a task makes of the scalars it shares."""


def task_races(omp: Directives, file: str) -> list[RaceSite]:
    """The races between tasks of one file, and between tasks and the code that created them."""
    tasks = [t for t in omp.all if t.kind == "task" and t.node is not None and not {"if", "final"} & set(t.clauses)
             and not ((region := omp.region(t)) is not None and omp.inactive(region))]
    uses = {id(t): _uses(omp, t) for t in tasks}
    out: dict[tuple[int, str], RaceSite] = {}

    def add(one: ts.Node, other: ts.Node, name: str, missing: str, why: str) -> None:
        a, b = sorted((line_of(one), line_of(other)))
        out.setdefault((a, name), RaceSite(file=file, line=a, other_file=file, other_line=b, kind="write-write"
                                           if {one.type, other.type} <= {"assignment_expression", "update_expression"}
                                           else "write-read", variable=name, summary=why, source="static",
                                           missing=[missing]))

    for t in tasks:
        mine = uses[id(t)]
        if _repeated(omp, t) and _ordered(t, t) is False:
            for name, (writes, reads) in mine.items():
                if writes:
                    add(writes[0], (writes[1:] + reads or writes)[0], name, f"depend(inout: {name})",
                        f"the task at line {t.line} is created again before any wait and writes {name}: its "
                        "instances may run at once")
        for stmt in _later(omp, t):
            for u in tasks:
                if u is t or not stmt.start_byte <= u.node.start_byte < stmt.end_byte or _ordered(t, u) is not False:
                    continue
                for name, pair in _conflicts(mine, uses[id(u)]):
                    add(*pair, name, f"depend(inout: {name})", f"the tasks at lines {t.line} and {u.line} may run at "
                        f"once: no depend clause orders them and nothing waits between them")
            parent: Uses = {}
            for name in mine:
                writes, reads = accesses(omp.src, stmt, name)
                parent[name] = tuple([x for x in xs if unconditional(x, stmt.parent) and not _under(omp, stmt, x)]
                                     for xs in (writes, reads))
            for name, pair in _conflicts(mine, parent):
                add(*pair, name, "taskwait", f"the task at line {t.line} may still run when the code that created "
                    f"it touches {name} at line {line_of(pair[1])}, before any taskwait or barrier")
    return list(out.values())


def _uses(omp: Directives, t: Construct) -> Uses:
    """The scalars t shares, with its unconditional, unguarded writes and reads of each."""
    out: Uses = {}
    for name in sorted({omp.src.text_of(n) for n in walk(t.node) if n.type == "identifier"}):
        if not _shares(omp, t, name):
            continue
        writes, reads = accesses(omp.src, t.node, name)
        keep = [[x for x in xs if unconditional(x, t.node.parent) and not omp.inner(t, x)] for xs in (writes, reads)]
        if keep[0] or keep[1]:
            out[name] = (keep[0], keep[1])
    return out


def _conflicts(a: Uses, b: Uses) -> list[tuple[str, tuple[ts.Node, ts.Node]]]:
    """(name, (a's access, b's access)) for each name one side writes and the other touches."""
    out = []
    for name in sorted(set(a) & set(b)):
        (aw, ar), (bw, br) = a[name], b[name]
        if aw and (bw or br):
            out.append((name, (aw[0], (bw or br)[0])))
        elif bw and ar:
            out.append((name, (ar[0], bw[0])))
    return out


def _shares(omp: Directives, t: Construct, name: str) -> bool:
    """name is shared between t and the code around it (OpenMP's data-sharing rules for a task)."""
    clauses = t.clauses
    if name in names(clauses.get("shared", [])):
        return True
    if any(name in names(clauses.get(k, [])) for k in PRIVATE) or name in omp.threadprivate:
        return False
    if clauses.get("default"):
        return [a.strip() for a in clauses["default"]] == ["shared"]
    fn = function_of(t.node)
    decls = [n for found, n in declared(omp.src, fn) if found == name] if fn is not None else []
    if not decls or all(n.type == "declaration" and is_static(omp.src, n) for n in decls):
        return True  # a global or a static local
    region = omp.region(t)
    if region is None or any(region.holds(n) for n in decls):
        return False  # a local of the task that created it: firstprivate
    if name in privatized(region.clauses, []) | set(names(region.clauses.get("reduction", []))):
        return False
    return not any(e.kind == "task" and e is not t and e.holds(t.node) and region.holds(e.node)
                   and any(name in names(e.clauses.get(k, [])) for k in PRIVATE) for e in omp.all)


def _later(omp: Directives, t: Construct) -> list[ts.Node]:
    """The statements after t in its block that its creator runs before a taskwait or barrier."""
    waits = [c.pragma for c in omp.all if c.kind in WAITS and c.pragma is not None]
    out, node = [], t.node.next_named_sibling
    while node is not None:
        if any(node.start_byte <= w.start_byte < node.end_byte for w in waits):
            break
        if node.type != "comment" and not is_pragma(node):
            out.append(node)
        node = node.next_named_sibling
    return out


def _under(omp: Directives, stmt: ts.Node, node: ts.Node) -> bool:
    """node is under a directive that governs stmt or part of it (another task, critical, atomic, ...)."""
    return any(d.holds(node) and stmt.start_byte <= d.node.start_byte for d in omp.all if d.node is not None)


def _repeated(omp: Directives, t: Construct) -> bool:
    """t is created again before a wait: in a loop of its creator, or by every thread of its team."""
    region = omp.region(t)
    top = region.node if region is not None else function_of(t.node)
    waits = [c.pragma for c in omp.all if c.kind in WAITS and c.pragma is not None]
    cur = t.node.parent
    while cur is not None and top is not None and cur.id != top.id:
        if cur.type in LOOPS:
            return not any(cur.start_byte <= w.start_byte < cur.end_byte for w in waits)
        cur = cur.parent
    return region is not None and not any(d.kind in ONE_THREAD and d is not t and d.holds(t.node)
                                          and region.holds(d.node) for d in omp.all)


def _depends(c: Construct) -> dict[str, set[str]] | None:
    """item -> dependence types of c's depend clauses (None when an iterator makes them unknown)."""
    out: dict[str, set[str]] = {}
    for arg in c.clauses.get("depend", []):
        kind, sep, items = arg.partition(":")
        if not sep or "iterator" in kind:
            return None
        for item in items.split(","):
            root = re.split(r"[\[\s.(-]", item.strip().lstrip("*&"), maxsplit=1)[0]
            out.setdefault(root, set()).add(kind.strip())
    return out


def _ordered(t: Construct, u: Construct) -> bool | None:
    """Whether t's and u's depend clauses order them (or exclude each other); None when they cannot be read."""
    dt, du = _depends(t), _depends(u)
    if dt is None or du is None:
        return None
    for item in dt.keys() & du.keys():
        if not any(dt[item] <= {k} and du[item] <= {k} for k in ("in", "inoutset")):
            return True
    return False
