"""The records planners, critics and the graph pass around; all serialise to plain dicts (for checkpoints)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from hpcagent.evidence import Evidence
from hpcagent.serial import Record


def loop_id(file: str, line: int) -> str:
    """A loop's id everywhere (targets, proposals, groups, reports): its file and first line, `file:line`."""
    return f"{file}:{line}"


@dataclass
class LoopTarget(Record):
    """A loop worth trying, as discovery ranks it."""

    file: str
    """Path relative to the repository root."""
    line: int
    """First line of the loop statement (1-based)."""
    end_line: int
    """Last line of the loop body."""
    function: str = ""
    """Enclosing function's name."""
    depth: int = 1
    """Nesting depth of the loop itself (1 = outermost in its function)."""
    share: float | None = None
    """Fraction of the profiled run time spent here (None without a profile)."""
    score: float = 0.0
    """Ranking score; higher is tried first."""
    verdict: str = "unknown"
    """The analysis verdict: parallel, reduction, serial or unknown."""
    reason: str = ""
    """Why the analysis reached that verdict."""
    proposals: int | None = None
    """How many changes the analysis has for this loop (a group change counts as one); None = not counted."""
    inside: list[str] = field(default_factory=list)
    """The other targets whose bodies call the code this loop is in, for nearly all of its profile samples
    (tools/profile.py called_inside): once one of them runs in parallel, a pragma here only opens a nested team."""

    @property
    def loop_id(self) -> str:
        return loop_id(self.file, self.line)


@dataclass
class Edit(Record):
    """Replace lines start..end (1-based, inclusive) of a file with new_text; end = start - 1 inserts before start."""

    file: str
    start_line: int
    end_line: int
    new_text: str


@dataclass
class Proposal(Record):
    """One candidate change for one loop."""

    file: str
    line: int
    end_line: int
    kind: Literal["pragma", "rewrite"] = "pragma"
    pragma: str | None = None
    """The full directive, e.g. '#pragma omp parallel for reduction(+:s)' (pragma proposals)."""
    clauses: list[str] = field(default_factory=list)
    """The clauses of the pragma, e.g. ['reduction(+:s)', 'private(j)']."""
    edits: list[Edit] = field(default_factory=list)
    """The source edits; for pragma proposals, the insertion of the pragma line."""
    confidence: float = 0.5
    reason: str = ""
    """One-line rationale."""
    source: str = "analysis"
    """Who proposed it: analysis, llm, scripted."""
    proof: str = "static"
    """static: the analysis proved the loop's iterations independent (or it is a rewrite it derived); unproven: it
    could not (a possible dependence or aliasing), and only the sandbox's evidence speaks for the change."""
    members: list[str] = field(default_factory=list)
    """For a change on a serial loop that makes the loops in its body parallel (a group, see tools/loops/groups.py): their
    ids (file:line); they are not tried again once it is accepted. Empty for any other change."""
    locality: str = ""
    """interchange or tile for a rewrite that reorders or tiles a loop nest for its memory walk (tried after an
    accepted change while budget.locality allows, see tools/loops/interchange.py), unroll-jam for an unrolled and
    jammed nest (tools/loops/unroll_jam.py), both also for a band inside a parallel loop's body
    (tools/loops/inner_bands.py), fusion for a loop fused with the next (tools/loops/fusion.py), simd for a
    `parallel for` with `omp simd` on inner loops the compiler left scalar (tools/loops/simd.py); empty otherwise."""
    _nested: ClassVar[dict] = {"edits": Edit}

    @property
    def label(self) -> str:
        return self.pragma or f"rewrite of {self.file}:{self.line}-{self.end_line}"


@dataclass
class Feedback(Record):
    """What the critic saw and suggests; rendered as prose for a language model by `prose()`."""

    kind: str
    evidence: str = ""
    suggestion: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def prose(self) -> str:
        text = f"{self.kind.replace('_', ' ')}: {self.evidence}".strip()
        return f"{text}\nSuggestion: {self.suggestion}" if self.suggestion else text


@dataclass
class Verdict(Record):
    """The critic's decision on one attempt."""

    action: Literal["accept", "repair", "give_up"]
    feedback: Feedback
    _nested: ClassVar[dict] = {"feedback": Feedback}


@dataclass
class Attempt(Record):
    """One proposal, the sandbox's evidence about it, and the verdict."""

    number: int
    proposal: Proposal
    check: Evidence
    """The sandbox's evidence (without its bulky logs: the transcript has them)."""
    verdict: Verdict
    revoked: str = ""
    """Why a later check withdrew this acceptance (a race or a wrong output on the same change); '' if none did."""
    _nested: ClassVar[dict] = {"proposal": Proposal, "check": Evidence, "verdict": Verdict}

    @property
    def accepted(self) -> bool:
        """Accepted by the critic and not revoked since: evidence only ever takes an acceptance away."""
        return self.verdict.action == "accept" and not self.revoked


def same_change(a: Proposal, b: Proposal) -> bool:
    """Two proposals make the same edits."""
    return [(e.file, e.start_line, e.end_line, e.new_text) for e in a.edits] == \
        [(e.file, e.start_line, e.end_line, e.new_text) for e in b.edits]


def revoke(result: LoopResult, change: Proposal, why: str) -> bool:
    """Withdraw the acceptance of every attempt of a loop that made this change; True if one was withdrawn."""
    hit = False
    for a in result.attempts:
        if a.accepted and same_change(a.proposal, change):
            a.revoked, hit = why, True
    if hit:
        result.accepted = best_accepted(result.attempts)
        if result.accepted is None:
            result.status, result.reason = "revoked", f"acceptance revoked: {why}"
    return hit


def best_accepted(attempts: list[Attempt]) -> Attempt | None:
    """The accepted attempt to keep, if any: the first, unless a later one is faster beyond the noise (its slowest
    ratio above the kept one's median). Two changes within each other's spread are a coin toss on a noisy machine,
    and the analysis ranked the earlier one first for a reason (a team per step, not a fork per inner loop)."""
    best = None
    for a in (a for a in attempts if a.accepted):
        t = a.check.timing
        slowest = (t.speedup_min or t.speedup or 0.0) if t else 0.0
        if best is None or slowest > best.check.speedup:
            best = a
    return best


@dataclass
class LoopResult(Record):
    """How one target loop ended: its status, why, every attempt, and the attempt kept if one was accepted."""

    target: LoopTarget
    status: Literal["accepted", "given_up", "revoked", "unmeasured", "tentative"]
    """revoked: a change was accepted, then a race or wrong output on that change withdrew it. tentative: correct,
    its median a gain but within the noise alone; `accepted` holds that attempt and compose times it together with
    the other tentative changes (accepted only if the set is faster beyond the noise)."""
    reason: str
    attempts: list[Attempt] = field(default_factory=list)
    accepted: Attempt | None = None
    """The attempt kept (see best_accepted); None unless status is accepted."""
    _nested: ClassVar[dict] = {"target": LoopTarget, "attempts": Attempt, "accepted": Attempt}

    @property
    def loop_id(self) -> str:
        return self.target.loop_id

    @property
    def speedup(self) -> float:
        """The kept attempt's own speedup (0.0 when none was accepted)."""
        return self.accepted.check.speedup if self.accepted else 0.0


@dataclass
class Dropped(Record):
    """A change left out of the composed program, and why."""

    loop: str
    reason: str


@dataclass
class Composed(Record):
    """All accepted changes applied together and checked as one program; which were kept."""

    ok: bool
    kept: list[str] = field(default_factory=list)
    """Loop ids whose changes are in the final program."""
    files: list[str] = field(default_factory=list)
    """The files the final program's edits touch."""
    dropped: list[Dropped] = field(default_factory=list)
    check: Evidence | None = None
    """The whole program's evidence (None when nothing was kept)."""
    covered: dict[str, str] = field(default_factory=dict)
    """Loops accepted alone whose change an accepted group's already makes: loop id -> the group's loop id."""
    revoked: dict[str, str] = field(default_factory=dict)
    """Loops whose acceptance the composed program's evidence withdrew (a race in the loop): loop id -> why."""
    confirmed: list[str] = field(default_factory=list)
    """Tentative loops accepted together: their changes applied as a set were faster beyond the noise."""
    together: Evidence | None = None
    """The evidence of the tentative changes applied as a set (None when there were none)."""
    swapped: dict[str, int] = field(default_factory=dict)
    """Loop id -> the number of its attempt in the final program in place of the one it kept alone: that one
    rewrote other accepted loops' lines (a fusion with the next loop) and so shut their changes out, and the
    program with this attempt and their changes ran faster (compose.uncovered)."""
    remainder: list[str] = field(default_factory=list)
    """Loops each too small to clear min_speedup alone, accepted as one set on top of the composed program (their
    set timed against it beyond the noise, see agent/run/remainder.py)."""
    loop_times: dict[str, dict] = field(default_factory=dict)
    """Of those, the loops accepted on their own time (their set left the program's time within the noise): loop id
    -> the Timing of the loop alone, with timers around it (agent/run/loop_times.py)."""
    remainder_check: Evidence | None = None
    """That set's evidence, timed against the program with the accepted changes (None when no set was kept)."""
    _nested: ClassVar[dict] = {"dropped": Dropped, "check": Evidence, "together": Evidence,
                               "remainder_check": Evidence}
