"""Group changes: the parallel sibling loops inside one serial loop (a time-step loop), made parallel together.

A group is a Proposal on the serial loop whose `members` name the loops it covers. Two forms: a thread team around
the serial loop with `omp for` on each loop in its body (tools/loops/regions.py), and one `parallel for` before each
sibling loop (each sibling's own top candidate). Parallelizing only one sweep of a time step makes the data move between the
cores' caches on every step; with every sweep parallel under the same static schedule each thread keeps its rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpcagent.records import Proposal

if TYPE_CHECKING:
    from hpcagent.tools.loops.analysis import LoopReport

GROUP_PREFIX = "group of "


def is_group(proposal: Proposal | dict | None) -> bool:
    """A change on a serial loop that makes the loops in its body parallel (Proposal.members is set)."""
    return bool(group_members(proposal))


def group_members(proposal: Proposal | dict | None) -> list[str]:
    """The loop ids (file:line) a group covers; [] for any other proposal."""
    if proposal is None:
        return []
    return list((proposal.get("members") if isinstance(proposal, dict) else proposal.members) or [])


def group_reason(serial_loop: str, members: list[str], pragmas: list[str]) -> str:
    loops = ", ".join(f"{m} ({p})" for m, p in zip(members, pragmas))
    return (f"{GROUP_PREFIX}{len(members)} loops inside the serial loop {serial_loop}, parallel together so each "
            f"thread keeps its share of the data across steps: {loops}")


def top_pick(child: LoopReport, unproven: bool = True) -> Proposal | None:
    """A loop's own top `parallel for` candidate (at its line, not an inner level's): proven for a loop proved
    parallel, else (with unproven) one the analysis did not prove; None if it has none."""
    proven_only = child.verdict in ("parallel", "reduction")
    if not proven_only and not unproven:
        return None  # only loops proved parallel: a guarded (atomic) candidate is tried alone
    return next((c for c in child.candidates if c.kind == "pragma" and c.line == child.line and c.pragma
                 and (c.proof != "unproven" or not proven_only)), None)


def sibling_picks(outer: LoopReport, reports: list[LoopReport]) -> list[Proposal]:
    """The top pragma candidate of each loop directly in outer's body that the analysis proved parallel."""
    children = sorted((r for r in reports if r.file == outer.file and r.function == outer.function
                       and r.depth == outer.depth + 1 and outer.line < r.line <= outer.end_line),
                      key=lambda r: r.line)
    return [p for p in (top_pick(child, unproven=False) for child in children) if p is not None]
