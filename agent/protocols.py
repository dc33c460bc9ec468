"""The seams of hpcagent, in one place: Planner, Critic, Model, Sandbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from hpcagent.records import Attempt, LoopTarget, Proposal, Verdict


@dataclass
class PlanContext:
    """What a planner may look at besides the target: the working copy and the run's settings."""

    root: Path
    """The (private copy of the) repository; read-only for planners."""
    threads: int = 2
    extra: dict[str, Any] = field(default_factory=dict)
    """Planner-specific extras (analysis facts, profile lines...)."""


@runtime_checkable
class Planner(Protocol):
    """Proposes the next change for a loop, given every earlier attempt on it."""

    name: str

    def propose(self, target: LoopTarget, context: PlanContext, history: list[Attempt]) -> Proposal | None:
        """Return the next proposal, or None when there is nothing left to try."""
        ...


@runtime_checkable
class Critic(Protocol):
    """Turns the sandbox's evidence about one attempt into a verdict with feedback."""

    name: str

    def review(self, target: LoopTarget, proposal: Proposal, check: dict[str, Any],
               history: list[Attempt]) -> Verdict:
        ...


@dataclass
class Completion:
    """One model call's answer and its accounting."""

    text: str
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    backend: str = ""


@runtime_checkable
class Model(Protocol):
    """A chat model: messages in ({'role', 'content'}), text out."""

    name: str

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 512) -> Completion:
        ...


@runtime_checkable
class Sandbox(Protocol):
    """Runs steps (shell commands) in a private working copy with limits; see sandbox/README.md."""

    name: str

    def run(self, workdir: Path, steps: list, limits=None) -> list:
        """Run the steps in order in workdir (a scratch copy); return one StepResult per step run."""
        ...
