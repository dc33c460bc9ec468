"""The static veto: a change that shares out a loop the analysis proved dependent, or leaves out the clauses that
resolve its proven dependences, is refused before any sandbox work, whoever proposed it.

A race check only sees the schedules its runs happened to take, and a wrong value at a chunk edge can fade into a
checksum; a proven dependence does not depend on luck. Only what the analysis proved is held against a change:
loops it could not decide ("unknown") are left to the sandbox's evidence.
"""

from __future__ import annotations

import re

from hpcagent.evidence import Refusal
from hpcagent.records import Edit, Proposal, loop_id, same_change
from hpcagent.tools.loops.analysis import LoopReport

WORKSHARING = {"for", "simd", "taskloop", "loop", "distribute"}
"""Directive words that share a loop's iterations out (`parallel` alone only starts a team)."""
_CLAUSE = re.compile(r"(\w+)\s*\(((?:[^()]|\([^()]*\))*)\)")


def directive(line: str) -> tuple[set[str], dict[str, list[str]]] | None:
    """An OpenMP pragma line as (directive words, clause name -> arguments), or None for any other line."""
    m = re.match(r"\s*#\s*pragma\s+omp\s+(.*)", line)
    if m is None:
        return None
    text = m.group(1)
    clauses: dict[str, list[str]] = {}
    for name, args in _CLAUSE.findall(text):
        clauses.setdefault(name, []).append(args)
    return set(_CLAUSE.sub(" ", text).replace(",", " ").split()), clauses


def shared_loops(edit: Edit, reports: list[LoopReport]) -> list[tuple[LoopReport, dict[str, list[str]], int]]:
    """The loops an edit's worksharing pragmas apply to, each with the pragma's clauses and its collapse depth."""
    out = []
    for line in edit.new_text.splitlines():
        parsed = directive(line)
        if parsed is None or not parsed[0] & WORKSHARING:
            continue
        clauses = parsed[1]
        inserted = edit.end_line < edit.start_line
        loops = [r for r in reports if r.file == edit.file and (r.line == edit.start_line if inserted
                                                                 else edit.start_line <= r.line <= edit.end_line)]
        if loops:
            depth = next((int(a) for a in clauses.get("collapse", []) if a.strip().isdigit()), 1)
            out.append((min(loops, key=lambda r: r.line), clauses, depth))
    return out


def names(args: list[str]) -> dict[str, set[str]]:
    """variable -> the operators (or '' for private-like clauses) a clause's arguments give it."""
    out: dict[str, set[str]] = {}
    for arg in args:
        op, sep, rest = arg.rpartition(":") if ":" in arg else ("", "", arg)
        for var in rest.split(","):
            var = re.sub(r"\[.*", "", var).strip()
            if var:
                out.setdefault(var, set()).add(op.strip() if sep else "")
    return out


PRIVATE_CLAUSES = ("private", "firstprivate", "lastprivate", "linear")
"""Clauses that give each thread (or simd lane) its own copy of a variable."""


def privatized(clauses: dict[str, list[str]], collapsed: list[LoopReport]) -> set[str]:
    """The names a pragma gives each thread its own copy of: its private-like clauses and the indices of the loops a
    collapse takes in (private without a clause). Reductions are not in it: see missing_clauses."""
    return ({v for kind in PRIVATE_CLAUSES for v in names(clauses.get(kind, []))}
            | {r.index for r in collapsed if r.index})


def missing_clauses(report: LoopReport, clauses: dict[str, list[str]], collapsed: list[LoopReport],
                    needed: list[str] | None = None) -> list[str]:
    """The clauses the analysis found necessary (a reduction, private, lastprivate) that the pragma lacks; the
    indices of the loops a collapse takes in are private without a clause.

    needed: the clauses to hold the pragma against; the analysis's clauses for the loop (report.clauses, set for a
    loop it proved parallel) when not given.
    """
    reduced = names(clauses.get("reduction", []))
    privates = privatized(clauses, collapsed)
    last = set(names(clauses.get("lastprivate", [])))
    out = []
    for clause in report.clauses if needed is None else needed:
        kind, sep, rest = clause.partition("(")
        if not sep:
            continue
        need = names([rest.rstrip(")")])
        if kind == "reduction":
            for var, ops in need.items():
                have = reduced.get(var, set())
                if not (ops & have or (ops & {"+", "-"} and have & {"+", "-"})):
                    out.append(clause)
        elif kind == "private" and not set(need) <= privates | set(reduced):
            out.append(clause)
        elif kind == "lastprivate" and not set(need) <= last:
            out.append(clause)
    return out


def inner_reports(report: LoopReport, reports: list[LoopReport], depth: int) -> list[LoopReport]:
    """The loops a collapse(depth) on report's loop shares out with it (its nest, `depth` levels deep)."""
    return [r for r in reports if r.file == report.file and r.function == report.function
            and report.depth < r.depth < report.depth + depth and report.line < r.line <= report.end_line]


def veto(proposal: Proposal, reports: list[LoopReport]) -> Refusal | None:
    """The first loop this change shares out against what the analysis proved, or None when none is.

    reports: the analysis of every file the change edits (the original tree). A change the analysis itself derived
    (a scratch array declared private in the loop body makes a serial loop parallel) is its own resolution.
    """
    if any(same_change(proposal, c) for r in reports for c in r.candidates):
        return None
    return unresolved(proposal, reports)


def unresolved(proposal: Proposal, reports: list[LoopReport]) -> Refusal | None:
    """The rules alone: a shared-out loop proven serial, or a proven dependence its pragma's clauses leave open."""
    for edit in proposal.edits:
        for report, clauses, depth in shared_loops(edit, reports):
            collapsed = inner_reports(report, reports, depth)
            for r in [report, *collapsed]:
                if r.verdict == "serial":
                    return Refusal(loop_id(r.file, r.line), f"the analysis proved it must stay serial: {r.reason}",
                                list(r.dependences))
            if report.verdict in ("parallel", "reduction"):
                missing = missing_clauses(report, clauses, collapsed)
                if missing:
                    roles = [f"{n} is {role}" for n, role in sorted(report.scalars.items())
                             if any(re.search(rf"\b{re.escape(n)}\b", c) for c in missing)]
                    return Refusal(loop_id(report.file, report.line), "its iterations share variables that only "
                                f"these clauses make safe: {'; '.join(roles) or report.reason}", [], missing)
    return None
