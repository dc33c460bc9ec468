"""The seams of hpcagent, in one place: Planner, Critic, Model, Sandbox, and Lab (the sandbox work the run needs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from hpcagent.evidence import Baseline, Evidence
from hpcagent.records import Attempt, LoopTarget, Proposal, Verdict

if TYPE_CHECKING:
    from hpcagent.agent.config import Config
    from hpcagent.agent.planners.analysis import TreeAnalysis


@dataclass
class PlanContext:
    """What a planner may look at besides the target: the working copy and the run's settings."""

    root: Path
    """The (private copy of the) repository; read-only for planners."""
    threads: int = 2
    extra: dict[str, Any] = field(default_factory=dict)
    """Planner-specific extras (analysis facts, profile lines...)."""
    analysis: TreeAnalysis | None = None
    """The run's shared loop analysis of root (computed once per file); None: a planner analyses on its own."""


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

    def review(self, target: LoopTarget, proposal: Proposal, check: Evidence,
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


@runtime_checkable
class Lab(Protocol):
    """The sandbox work an optimize run needs, on the trees under a run's work folder (orig/ is the original).

    agent/run/lab.py does it in a real sandbox; agent/run/fake_lab.py scripts it (tests, demos, --sandbox fake:FILE).
    """

    name: str

    def profile(self, work: Path, cfg: Config) -> dict[str, Any]:
        """The run command's sampled profile (tools/profile.build_profile), or {'error': why there is none}."""
        ...

    def baseline(self, work: Path, cfg: Config) -> Baseline:
        """Build, run, test and race-check the original; raise BadInput / BuildFailed when it cannot be used."""
        ...

    def evidence(self, work: Path, tree: str, cfg: Config, base: Baseline, reference: str | None = "base") -> Evidence:
        """Race-check, build, run, test and time the candidate tree work/tree; outputs are compared with the
        original's, the timing is against work/base (the original) or, when given, another tree of work (built
        here first: the program with the accepted changes, under the small loops tried on top of it). reference
        None: no timing (stage "passed" once the tests pass: a failing set being halved needs only its stages)."""
        ...

    def loop_times(self, work: Path, ref: str, cand: str, cfg: Config, base: Baseline) -> list[tuple[str, str]] | str:
        """Build work/ref and work/cand (both with loop timers, agent/run/loop_times.py) and time them interleaved;
        (side 'a' for ref or 'b' for cand, the run's stderr) per timed run, or why there are none."""
        ...
