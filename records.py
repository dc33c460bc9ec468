"""The records planners, critics and the graph pass around; all serialise to plain dicts (for checkpoints)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Literal


def loop_id(file: str, line: int) -> str:
    """A loop's id everywhere (targets, proposals, groups, reports): its file and first line, `file:line`."""
    return f"{file}:{line}"


class Record:
    """Mixin: to_dict / from_dict for dataclasses (unknown keys ignored, nested records rebuilt)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        kwargs = {k: v for k, v in data.items() if k in names}
        for name, sub in getattr(cls, "_nested", {}).items():
            if name in kwargs and kwargs[name] is not None:
                value = kwargs[name]
                kwargs[name] = [sub.from_dict(v) for v in value] if isinstance(value, list) else sub.from_dict(value)
        return cls(**kwargs)


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
    """For a change on a serial loop that makes the loops in its body parallel (a group, see agent/groups.py): their
    ids (file:line); they are not tried again once it is accepted. Empty for any other change."""
    _nested: ClassVar[dict] = {"edits": Edit}

    @property
    def label(self) -> str:
        return self.pragma or f"rewrite of {self.file}:{self.line}-{self.end_line}"


FeedbackKind = Literal[
    "accepted", "compile_error", "race", "wrong_output", "test_failed", "crash", "timeout",
    "not_faster", "slower", "rejected", "no_proposal",
]


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
    check: dict[str, Any]
    """The CheckResult as a dict (build, race check, tests, timing)."""
    verdict: Verdict
    _nested: ClassVar[dict] = {"proposal": Proposal, "verdict": Verdict}
