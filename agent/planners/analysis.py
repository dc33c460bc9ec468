"""The default planner: static loop analysis, ranked candidates, and the critic's clause feedback."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from hpcagent.agent.protocols import PlanContext
from hpcagent.records import Attempt, Edit, LoopTarget, Proposal, best_accepted, loop_id, same_change
from hpcagent.tools.loops.analysis import LoopReport, analyze_file, load_program
from hpcagent.tools.loops.groups import group_reason, sibling_picks
from hpcagent.tools.loops.proposals import pragma_text, reduced


def same(a: Proposal, b: Proposal) -> bool:
    """Two proposals make the same change."""
    return a.kind == b.kind and same_change(a, b)


def with_clauses(last: Proposal, clauses: list[str], why: str) -> Proposal:
    """The same change as last, with its pragma's clauses replaced."""
    pragma = pragma_text(clauses)
    edits = []
    for e in last.edits:
        first, sep, rest = e.new_text.partition("\n")
        if "#pragma omp" in first:
            first = first[: len(first) - len(first.lstrip())] + pragma
        edits.append(Edit(e.file, e.start_line, e.end_line, first + sep + rest))
    return replace(last, pragma=pragma, clauses=list(clauses), edits=edits, confidence=0.5, reason=why)


class TreeAnalysis:
    """The loop analysis of one tree (the run's private copy of the original), computed once per file with the
    whole program's alias facts and shared: the analysis planner proposes from it, the LLM planner shows its facts."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._reports: dict[str, list[LoopReport]] = {}

    def reports(self, file: str) -> list[LoopReport]:
        """Every loop report of one file (relative to the root)."""
        if file not in self._reports:
            self._reports[file] = analyze_file(self.root / file, self.root, load_program(self.root))
        return self._reports[file]

    def reports_of(self, files: set[str]) -> list[LoopReport]:
        """The reports of every file given that exists and parses (a change naming another file fails to apply)."""
        out: list[LoopReport] = []
        for file in sorted(files):
            if (self.root / file).is_file():
                try:
                    out += self.reports(file)
                except Exception:  # an analysis that cannot read the file proves nothing: the sandbox decides
                    continue
        return out

    def facts(self, target: LoopTarget) -> dict[str, Any]:
        """The analysis facts and top candidate of a loop, for planners that read them (the LLM planner)."""
        try:
            report = next((r for r in self.reports(target.file) if r.line == target.line), None)
        except Exception as exc:  # facts are a help, never a reason to stop the run
            return {"facts": f"(analysis unavailable: {exc})"}
        if report is None:
            return {}
        return {"facts": report.facts_text(), "analysis_candidate": report.candidates[0] if report.candidates else None}


class AnalysisPlanner:
    """Proposes the best untried candidate of the analysis, adjusted by the critic's feedback."""

    name = "analysis"

    def __init__(self, unproven: bool = True):
        self.unproven = unproven
        """Offer candidates the analysis did not prove (config search.unproven), after the proven ones."""

    def propose(self, target: LoopTarget, context: PlanContext, history: list[Attempt]) -> Proposal | None:
        analysis = context.analysis if context.analysis is not None else TreeAnalysis(context.root)
        every = analysis.reports(target.file)
        reports = [r for r in every if r.line == target.line]
        if reports and reports[0].verdict not in ("parallel", "reduction"):
            # a loop that is not itself proved parallel (a time step): first its parallel sweeps, all together
            group = group_proposal(target, every, history)
            if group is not None:
                return group
            tried = [a.proposal for a in history]
            rewrite = next((c for c in group_rewrites(target, every, history)
                            if not any(same(c, t) for t in tried)), None)
            if rewrite is not None:
                return rewrite
        # unknown loops may carry guarded or unproven candidates; a serial one only a privatized scratch array
        if not reports or not reports[0].candidates:
            return None
        tried = [a.proposal for a in history]
        fresh = [c for c in reports[0].candidates if not any(same(c, t) for t in tried)
                 and (self.unproven or c.proof != "unproven")]
        # the analysis orders them: proven first, except a privatized scratch array before the inner levels
        if any((a.verdict.feedback.data or {}).get("try_inner") for a in history):
            # a race on an array at this level: another schedule or collapse of the same loop races too
            fresh = [c for c in fresh if c.line != target.line]
        # a loop whose change gave a wrong result: none of its other forms (schedule, simd) either
        wrong = {(a.verdict.feedback.data or {}).get("skip_line") for a in history}
        # a reduction whose other order of additions changed the result: no other loop reducing those variables
        sums = {n for a in history for n in (a.verdict.feedback.data or {}).get("skip_reductions") or []}
        fresh = [c for c in fresh if c.line not in wrong and not sums & set(reduced(c))]
        if history:
            last = history[-1].proposal
            data = history[-1].verdict.feedback.data or {}
            add, drop = list(data.get("add_clauses") or []), list(data.get("drop_clauses") or [])
            # (only a `parallel for` is rewritten with other clauses: a team's `omp for` pairs with its region)
            if (add or drop) and (last.pragma or "").startswith("#pragma omp parallel for"):
                clauses = [c for c in last.clauses if c not in drop] + [c for c in add if c not in last.clauses]
                why = "critic feedback: " + ", ".join([f"add {c}" for c in add] + [f"drop {c}" for c in drop])
                fixed = with_clauses(last, clauses, why)
                if not any(same(fixed, t) for t in tried):
                    return fixed
        return fresh[0] if fresh else None


def group_proposal(target: LoopTarget, reports: list[LoopReport], history: list[Attempt]) -> Proposal | None:
    """For a loop that stays serial (a time-step loop): one change making the parallel loops directly in its body
    parallel together. First one thread team around it with `omp for` on each of them (LoopReport.team), then one
    `parallel for` on each (two or more of them, each its own top candidate); None once both were tried."""
    outer = next((r for r in reports if r.line == target.line), None)
    if outer is None:
        return None
    forms = [outer.team] if outer.team is not None else []
    picks = sibling_picks(outer, reports)
    if len(picks) >= 2:
        members = [loop_id(p.file, p.line) for p in picks]
        reason = group_reason(target.loop_id, members, [p.pragma or "" for p in picks])
        forms.append(Proposal(target.file, outer.line, outer.end_line, "pragma", None, [],
                              [e for p in picks for e in p.edits], min(p.confidence for p in picks), reason,
                              "analysis", members=members))
    tried = [a.proposal for a in history]
    return next((f for f in forms if not any(same(f, t) for t in tried)), None)


def plain_group(p: Proposal) -> bool:
    """A group in its one-`parallel for`-per-loop form: every edit inserts one such pragma line."""
    return bool(p.members) and p.pragma is None and all(
        e.end_line == e.start_line - 1 and e.new_text.strip().startswith("#pragma omp parallel for")
        and "\n" not in e.new_text.strip() for e in p.edits)


def group_rewrites(target: LoopTarget, reports: list[LoopReport], history: list[Attempt]) -> list[Proposal]:
    """Once the group with one `parallel for` per loop is accepted on a serial loop (a time step), that change with
    its members' nests replaced by their own locality rewrites (a loop order, a tiling, unroll-and-jam, fusion, omp
    simd; tools/loops/analysis.py): the rewrites a member tried alone would get, which a group's acceptance
    otherwise leaves untried.

    The rewrites stack: each candidate is the fastest group form so far (the plain group, or a group with members
    already rewritten) with one member's rewrite added or swapped for another of that member's. A member's
    rewrite that does not become the fastest ends that member's search (each try is a whole-program timing, and a
    group has several members). Round-robin over the members (each one's first rewrite, then each one's second,
    ...), the members whose nest walks memory with a stride innermost (LoopReport.strided) first; two rewrites
    whose edits overlap (a fusion with the next loop covers that loop) are not stacked, and a rewrite's replaced
    lines take the covered members' pragmas out with them."""
    at = next((n for n, a in enumerate(history) if a.accepted and plain_group(a.proposal)), None)
    if at is None:
        return []
    base = history[at].proposal
    per_member = []
    for member in base.members:
        file, _, line = member.rpartition(":")
        child = next((r for r in reports if r.file == file and str(r.line) == line), None)
        if child is None or file != target.file:
            continue
        per_member.append((-child.strided, child.line, [c for c in child.candidates if c.locality
                                                         and c.line == child.line and c.edits
                                                         and all(e.file == file for e in c.edits)]))
    members = [(line, m) for _, line, m in sorted(per_member, key=lambda x: x[0])]
    chosen, ended = group_state(base, members, history, at)
    out = []
    for rank in range(max((len(m) for _, m in members), default=0)):
        for line, rewrites in members:
            if line in ended or rank >= len(rewrites) or chosen.get(line) is rewrites[rank]:
                continue
            stacked = stack(base, members, {**chosen, line: rewrites[rank]}, line)
            if stacked is not None:
                out.append(stacked)
    return out


def _edit_keys(p: Proposal) -> set[tuple]:
    return {(e.file, e.start_line, e.end_line, e.new_text) for e in p.edits}


def group_state(base: Proposal, members: list[tuple[int, list[Proposal]]], history: list[Attempt],
                at: int) -> tuple[dict[int, Proposal], set[int]]:
    """Replay the attempts after the plain group's acceptance (history[at]): the member rewrites of the fastest
    group form (member line -> rewrite) and the members whose search ended (a rewrite of theirs did not become the
    fastest change, by records.best_accepted's rule)."""
    chosen: dict[int, Proposal] = {}
    ended: set[int] = set()
    for n in range(at + 1, len(history)):
        p = history[n].proposal
        if p.kind != "rewrite" or p.members != base.members:
            continue
        have = _edit_keys(p)
        assign = {line: c for line, rewrites in members
                  for c in [next((c for c in rewrites if _edit_keys(c) <= have), None)] if c is not None}
        changed = {line for line in {*assign, *chosen} if assign.get(line) is not chosen.get(line)}
        if best_accepted(history[: n + 1]) is history[n]:
            chosen = assign
        else:
            ended |= changed
    return chosen, ended


def stack(base: Proposal, members: list[tuple[int, list[Proposal]]], chosen: dict[int, Proposal],
          changed: int) -> Proposal | None:
    """The plain group with the chosen members' rewrites in place of their pragmas (the edits in line order),
    None when two of them touch the same lines."""
    picks = [(line, chosen[line]) for line, _ in members if line in chosen]

    def spans(c: Proposal) -> list[tuple[int, int]]:
        return [(e.start_line, max(e.start_line, e.end_line)) for e in c.edits]

    for i, (_, a) in enumerate(picks):
        for _, b in picks[i + 1:]:
            if any(s <= y and t >= x for s, t in spans(a) for x, y in spans(b)):
                return None
    replaced = [(e.start_line, e.end_line) for _, c in picks for e in c.edits if e.end_line >= e.start_line]
    # each rewritten member's own pragma goes (its rewrite brings its own, maybe as an insertion on the same line:
    # omp simd), and so does every edit the rewrites' replaced lines cover
    kept = [e for e in base.edits if e.start_line not in chosen
            and not any(s <= e.start_line <= t for s, t in replaced)]
    edits = sorted([*(e for _, c in picks for e in c.edits), *kept], key=lambda e: (e.file, e.start_line, e.end_line))
    new = chosen[changed]
    reason = base.reason + "".join(f"; with {c.file}:{line} rewritten: {c.reason}" for line, c in picks)
    return replace(base, kind="rewrite", edits=edits, locality=new.locality,
                   proof="unproven" if any(c.proof == "unproven" for _, c in picks) else new.proof,
                   confidence=min(c.confidence for _, c in picks), reason=reason)
