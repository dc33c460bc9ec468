"""The graph's state: plain JSON-able values only, so every checkpoint can be stored and resumed."""

from __future__ import annotations

import time
from typing import Any, TypedDict


class RunState(TypedDict, total=False):
    run_id: str
    """The run's id: the checkpoint thread and the name of its folder."""
    repo: str
    """The user's repository (read only; never written)."""
    run_dir: str
    """Where this run writes: work/ (private trees), patch.diff, report.md, transcript.jsonl, summary.json."""
    config: dict[str, Any]
    """The effective configuration (hpcagent.toml + flags), as Config.to_dict()."""
    config_origin: str
    """Where the configuration came from, for the report."""
    started: float
    """Epoch seconds when the run started (the wall-clock budget counts from here, across resumes)."""
    phase: str
    """discover, baseline, loops, compose, report, done."""
    profile: dict[str, Any]
    """The sampled profile (tools/profile.build_profile: stacks of source lines, shares) or {'error': why there is
    none}; 'skipped' lists the loops not tried, with the reason."""
    targets: list[dict[str, Any]]
    """LoopTarget dicts, hottest first."""
    ranked_statically: bool
    """No profile: the targets are every statically ranked loop until the baseline's coverage keeps those the
    run executes (up to search.max_targets)."""
    target_index: int
    """The loop being worked on (-1 before the first)."""
    baseline: dict[str, Any]
    """The original's run (a Baseline, see evidence.py): seconds, stdout, named outputs, tests, pre-existing races."""
    proposal: dict[str, Any] | None
    """The current attempt's Proposal, or None when the planner had nothing (left) to propose."""
    check: dict[str, Any] | None
    """The sandbox's evidence about the current attempt (an Evidence, see evidence.py)."""
    attempts: list[dict[str, Any]]
    """The current loop's Attempts (records.py), oldest first."""
    exploring: bool
    """The last attempt was accepted but looks improvable: plan one more candidate (budget.explore)."""
    loops: list[dict[str, Any]]
    """One LoopResult (records.py) per finished loop: target, status, reason, attempts, the attempt kept."""
    composed: dict[str, Any]
    """The Composed record (records.py): the whole-program check of the accepted changes together, which were kept."""
    outputs: dict[str, str]
    """Paths of the run's products (patch, report, summary, transcript)."""


def initial_state(run_id: str, repo: str, run_dir: str, config: dict[str, Any], origin: str) -> RunState:
    """The state a new run starts from (the graph's first input)."""
    return RunState(run_id=run_id, repo=repo, run_dir=run_dir, config=config, config_origin=origin,
                    started=time.time(), phase="discover")
