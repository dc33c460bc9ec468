"""The graph's nodes: one function each, taking the checkpointed state and langgraph's runtime (its context is a
RunContext) and returning the state update. The state holds plain dicts; the records are rebuilt at this boundary."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from hpcagent.agent.config import Config
from hpcagent.agent.planners.analysis import TreeAnalysis, group_rewrites
from hpcagent.agent.protocols import Critic, Lab, PlanContext, Planner
from hpcagent.agent.run import compose as composing
from hpcagent.agent.run.discovery import amdahl, discover_targets, keep_executed
from hpcagent.agent.run.lab import fresh_copy
from hpcagent.agent.run.remainder import small_targets, try_remainder
from hpcagent.agent.run.state import RunState
from hpcagent.agent.run.transcript import Transcript
from hpcagent.evidence import Baseline, Evidence
from hpcagent.records import (
    Attempt,
    LoopResult,
    LoopTarget,
    Proposal,
    Verdict,
    best_accepted,
    loop_id,
    revoke,
    same_change,
)
from hpcagent.sandbox.coverage import entered
from hpcagent.tools.loops.groups import group_members
from hpcagent.tools.loops.veto import shared_loops, veto
from hpcagent.tools.patch import EditError, apply_edits


@dataclass
class RunContext:
    """What the nodes use besides the state: the seams and the transcript (langgraph's runtime context)."""

    lab: Lab
    """The sandbox work: profile, baseline, evidence (agent/run/lab.py, or the fake in agent/run/fake_lab.py)."""
    planner: Planner
    critic: Critic
    transcript: Transcript
    report: Callable[[dict, RunContext], dict]
    """Writes patch, report and summary from the final state; returns {'outputs': {...}}."""
    analysis: TreeAnalysis | None = None
    """The loop analysis of work/orig, shared by the planners (made on first use)."""

    def shared_analysis(self, root: Path) -> TreeAnalysis:
        if self.analysis is None or self.analysis.root != root:
            self.analysis = TreeAnalysis(root)
        return self.analysis


Rt = Runtime[RunContext]


# Reading the state: the records behind its dicts.
def config(state: RunState) -> Config:
    return Config.from_dict(state["config"], "run state")


def work(state: RunState) -> Path:
    return Path(state["run_dir"]) / "work"


def target(state: RunState) -> LoopTarget:
    return LoopTarget.from_dict(state["targets"][state["target_index"]])


def attempts(state: RunState) -> list[Attempt]:
    return [Attempt.from_dict(a) for a in state.get("attempts") or []]


def loop_results(state: RunState) -> list[LoopResult]:
    return [LoopResult.from_dict(lp) for lp in state.get("loops") or []]


def over_budget(state: RunState) -> bool:
    return time.time() - state["started"] > config(state).budget.wall_minutes * 60


def finished(state: RunState, tried: list[Attempt], status: str, reason: str,
             loops: list[dict] | None = None) -> dict[str, Any]:
    """The state update recording one loop's outcome (an accepted loop keeps its best accepted attempt) after the
    finished loops (`loops`, default the state's)."""
    kept = best_accepted(tried) if status == "accepted" else None
    if status == "given_up" and tried and tried[-1].verdict.feedback.kind == "unreliable":
        # the last word was a timing taken while the machine was busy: not a rejection
        status, reason = "unmeasured", f"not judged: {tried[-1].check.error}"
    small = tentative_attempt(tried, config(state)) if status == "given_up" else None
    if small is not None:
        kept, status = small, "tentative"
        reason = (f"tentative: attempt {small.number} is correct and its median {small.check.speedup:.2f}x a gain, "
                  f"but within the noise alone ({small.check.timing.summary()}); timed together with the other "
                  "tentative changes in compose")
    if kept is not None and not reason:
        reason = f"kept attempt {kept.number}: " + kept.verdict.feedback.evidence
    withdrawn = next((a.revoked for a in tried if a.revoked), "")
    if kept is None and withdrawn:
        status, reason = "revoked", f"acceptance revoked: {withdrawn}"
    result = LoopResult(target(state), status, reason, tried, kept)  # type: ignore[arg-type]
    return {"loops": (loops if loops is not None else state.get("loops") or []) + [result.to_dict()]}


def tentative_attempt(tried: list[Attempt], cfg) -> Attempt | None:
    """The attempt to time again with the other small gains (budget.tentative): everything passed (its check
    reached the timing), the timing was reliable, its median reached min_speedup and only the noise stood in the
    way; a change the analysis did not prove also needs the full evidence. No second chance for a loop that raced
    or changed the result in any attempt (a candidate on another loop of the nest, say the diagonal loop around a
    block loop, says nothing about this one's iterations). The one with the best median."""
    from hpcagent.agent.critics.rules import unproven_gap

    if not cfg.budget.tentative:
        return None
    failed = [a.proposal for a in tried if a.check.stage in REVOKING]
    fits = [a for a in tried if a.check.stage == "timing" and a.check.timing is not None and a.check.timing.measured
            and not a.check.timing.unreliable and a.check.timing.verdict == "within noise"
            and (a.check.timing.speedup or 0) >= cfg.budget.min_speedup and not unproven_gap(a.proposal, a.check)
            and not any(shares_loop(a.proposal, f) for f in failed)]
    return max(fits, key=lambda a: a.check.timing.speedup, default=None)


def shares_loop(a: Proposal, b: Proposal) -> bool:
    """The two changes parallelize a loop in common (a rewrite counts as changing every loop of its lines)."""
    def loops(p: Proposal) -> set[str]:
        return {f"{p.file}:{p.line}", *group_members(p)}

    def span(p: Proposal) -> range | None:
        return range(p.line, p.end_line + 1) if p.kind == "rewrite" else None

    if loops(a) & loops(b):
        return True
    for x, y in ((a, b), (b, a)):
        if (r := span(x)) is not None and any(f == x.file and int(n) in r
                                              for f, n in (i.rsplit(":", 1) for i in loops(y))):
            return True
    return False


# The nodes, in the order a run meets them.
def discover(state: RunState, runtime: Rt) -> dict:
    ctx = runtime.context
    ctx.transcript.event("phase", phase="discover", repo=state["repo"])
    fresh_copy(Path(state["repo"]), work(state) / "orig")
    found = discover_targets(work(state), config(state), ctx.lab)
    ctx.transcript.event("targets", targets=found["targets"], profile=found.get("profile"))
    return {"phase": "baseline", **found, "target_index": -1, "loops": []}


def baseline(state: RunState, runtime: Rt) -> dict:
    log = runtime.context.transcript.event
    log("phase", phase="baseline")
    base = runtime.context.lab.baseline(work(state), config(state))
    log("baseline", seconds=base.seconds, test=base.test.to_dict() if base.test else None,
        races=[r.to_dict() for r in base.races], runs=[r.to_dict() for r in base.race_runs],
        coverage={"files": len(base.executed), "lines": sum(map(len, base.executed.values()))}
        if base.executed is not None else {"error": base.coverage_error})
    update: dict[str, Any] = {"phase": "loops", "baseline": base.to_dict()}
    if state.get("ranked_statically"):  # no profile: never spend the night on code the workload does not run
        targets, skipped = keep_executed(state["targets"], base.executed, config(state).search.max_targets)
        profile = {**state["profile"], "skipped": state["profile"].get("skipped", []) + skipped}
        log("kept", targets=targets, profile=profile, filtered="line coverage of the run")
        update.update(targets=targets, profile=profile, ranked_statically=False)
    return update


def select(state: RunState, runtime: Rt) -> dict:
    log = runtime.context.transcript.event
    index = state["target_index"] + 1
    results = loop_results(state)
    covered, regions = composing.covered_by_groups(results), composing.parallel_regions(results)
    while index < len(state["targets"]) and (t := LoopTarget.from_dict(state["targets"][index])):
        skip = composing.why_skipped(t, covered, regions)
        if skip is not None:  # an accepted group change made it parallel, or it runs inside an accepted parallel loop
            log("skip", index=index, loop=t.loop_id, reason=skip[0], **skip[1])
        else:
            break
        index += 1
    if index < len(state["targets"]) and not over_budget(state):
        t = LoopTarget.from_dict(state["targets"][index])
        log("target", index=index, loop=t.loop_id, function=t.function, share=t.share, verdict=t.verdict)
    return {"target_index": index, "attempts": [], "proposal": None, "check": None, "exploring": False}


def plan(state: RunState, runtime: Rt) -> dict:
    ctx = runtime.context
    t, root, history = target(state), work(state) / "orig", attempts(state)
    analysis = ctx.shared_analysis(root)
    context = PlanContext(root=root, threads=config(state).threads.count, extra=analysis.facts(t), analysis=analysis)
    proposal = ctx.planner.propose(t, context, history)
    ctx.transcript.event("proposal", loop=t.loop_id, attempt=len(history) + 1, planner=ctx.planner.name,
                         proposal=proposal.to_dict() if proposal else None)
    if proposal is not None:
        return {"proposal": proposal.to_dict()}
    if best_accepted(history):
        return {"proposal": None, **finished(state, history, "accepted", "")}
    reason = t.reason if not history else "no untried proposal left after: " + history[-1].verdict.feedback.prose()
    return {"proposal": None, **finished(state, history, "given_up", reason)}


def apply(state: RunState, runtime: Rt) -> dict:
    """Refuse a change against a proven dependence (no sandbox work), else apply it to a fresh candidate tree."""
    ctx = runtime.context
    log = ctx.transcript.event
    proposal = Proposal.from_dict(state["proposal"])
    where = {"loop": target(state).loop_id, "attempt": len(state["attempts"]) + 1}
    analysis = ctx.shared_analysis(work(state) / "orig")
    refused = veto(proposal, analysis.reports_of({e.file for e in proposal.edits}))
    if refused is not None:
        log("veto", **where, vetoed=refused.loop, reason=refused.text(), missing=refused.missing)
        return {"check": Evidence(stage="veto", error=refused.text(), refusal=refused).to_dict()}
    tree = fresh_copy(work(state) / "orig", work(state) / "cand")
    try:
        apply_edits(tree, proposal.edits)
    except EditError as exc:
        log("apply", **where, ok=False, error=str(exc))
        return {"check": Evidence(stage="apply", error=str(exc)).to_dict()}
    log("apply", **where, ok=True, files=sorted({e.file for e in proposal.edits}))
    return {"check": None}


def check(state: RunState, runtime: Rt) -> dict:
    ctx = runtime.context
    base = Baseline.from_dict(state["baseline"])
    ev = ctx.lab.evidence(work(state), "cand", config(state), base)
    if base.executed is not None:
        proposal = Proposal.from_dict(state["proposal"])
        reports = ctx.shared_analysis(work(state) / "orig").reports_of({e.file for e in proposal.edits})
        loops = [r for e in proposal.edits for r, _, _ in shared_loops(e, reports)]
        ev.unexecuted = [loop_id(r.file, r.line) for r in loops if not entered(base.executed, r.file, r.line,
                                                                                r.end_line)]
    d = ev.to_dict()
    ctx.transcript.event("check", loop=target(state).loop_id, attempt=len(state["attempts"]) + 1, stage=ev.stage,
                         error=ev.error, race=d.get("race"), build=d.get("build"), test=d.get("test"),
                         output=d.get("output"), timing=d.get("timing"), unexecuted=ev.unexecuted)
    return {"check": d}


def critique(state: RunState, runtime: Rt) -> dict:
    ctx, cfg = runtime.context, config(state)
    t, proposal, history = target(state), Proposal.from_dict(state["proposal"]), attempts(state)
    ev = Evidence.from_dict(state["check"])
    verdict: Verdict = ctx.critic.review(t, proposal, ev, history)
    if verdict.action == "repair" and best_accepted(history):
        # Exploring past an accepted change: one failed alternative ends it, the accepted one is kept.
        verdict = Verdict("give_up", verdict.feedback)
    if verdict.action == "repair" and (len(history) + 1 >= cfg.budget.attempts or over_budget(state)):
        verdict = Verdict("give_up", replace(verdict.feedback, suggestion="attempt budget spent"))
    attempt = Attempt(len(history) + 1, proposal, ev.slim(), verdict)
    ctx.transcript.event("verdict", loop=t.loop_id, attempt=attempt.number, action=verdict.action,
                         feedback=verdict.feedback.to_dict())
    tried = [*history, attempt]
    update: dict[str, Any] = {"attempts": [a.to_dict() for a in tried], "exploring": False}
    if ev.stage in REVOKING:
        update.update(revocations(state, t, proposal, attempt, tried, ctx.transcript))
    tried = [Attempt.from_dict(a) for a in update["attempts"]]
    below = attempt.accepted and worth_exploring(state, t, tried)
    if below or (attempt.accepted and locality_left(state, ctx, t, tried)):
        why = "accepted, but well below what the loop's share allows: trying another candidate" if below else \
            "accepted; a locality rewrite of this nest (loop order, tiling, unroll-and-jam, fusion, omp simd) is untried " \
            "(budget.locality)"
        ctx.transcript.event("explore", loop=t.loop_id, attempt=attempt.number, reason=why)
        return {**update, "exploring": True}
    if verdict.action == "repair":
        return update
    kept, loops = best_accepted(tried), update.get("loops")
    if kept is None:
        return {**update, **finished(state, tried, "given_up", verdict.feedback.prose(), loops)}
    if attempt.accepted:
        # the outcome quotes the attempt kept, which need not be the last one accepted
        reason = verdict.feedback.prose() if kept.number == attempt.number else (
            f"kept attempt {kept.number} ({kept.check.speedup:.2f}x), faster than attempt {attempt.number} "
            f"({attempt.check.speedup:.2f}x): {kept.verdict.feedback.evidence}")
        return {**update, **finished(state, tried, "accepted", reason, loops)}
    reason = (f"accepted attempt {kept.number} ({kept.check.speedup:.2f}x); another candidate tried for more speed "
              f"was not better ({verdict.feedback.kind.replace('_', ' ')}: {verdict.feedback.evidence})")
    return {**update, **finished(state, tried, "accepted", reason, loops)}


REVOKING = ("race", "output", "test")
"""Stages whose failure is evidence against the change itself (not its speed or its build): it revokes the same
change's earlier acceptance, wherever that was."""


def revocations(state: RunState, t: LoopTarget, proposal: Proposal, attempt: Attempt, tried: list[Attempt],
                transcript: Transcript) -> dict[str, Any]:
    """Withdraw every earlier acceptance of this very change (this loop's attempts and the finished loops'): a race
    or a wrong output seen once is not outweighed by runs that happened not to show it."""
    why = f"attempt {attempt.number} on {t.loop_id}, the same change, failed at {attempt.check.stage}: " \
          f"{attempt.check.error}"
    here = LoopResult(t, "accepted", "", tried[:-1])
    update: dict[str, Any] = {}
    if revoke(here, proposal, why):
        transcript.event("revoke", loop=t.loop_id, attempts=[a.number for a in here.attempts if a.revoked], reason=why)
        update["attempts"] = [a.to_dict() for a in [*here.attempts, attempt]]
    loops = loop_results(state)
    for lp in loops:
        if revoke(lp, proposal, why):
            transcript.event("revoke", loop=lp.loop_id, attempts=[a.number for a in lp.attempts if a.revoked],
                             reason=why)
            update["loops"] = [x.to_dict() for x in loops]
    return update


def worth_exploring(state: RunState, t: LoopTarget, tried: list[Attempt]) -> bool:
    """One more candidate when the gain is well below Amdahl's bound for the loop's share of the time."""
    cfg = config(state)
    explored = sum(1 for a in tried if a.accepted) - 1
    if explored >= cfg.budget.explore or len(tried) >= cfg.budget.attempts or over_budget(state):
        return False
    bound = amdahl(t.share if t.share is not None else 1.0, cfg.threads.count)
    return tried[-1].check.speedup < 0.9 * bound


def rewritten_nest(p: Proposal) -> int:
    """The first line of the nest a rewrite replaces, else its loop's."""
    return next((e.start_line for e in p.edits if e.end_line >= e.start_line), p.line)


def tile_search_over(tried: list[Attempt]) -> bool:
    """The last attempt was a tiling that did not win, after another size of the same nest: the size search ends
    there. A time-step group's member rewrites are not counted: group_rewrites ends each member's search itself."""
    tiles = [a for a in tried if a.proposal.locality == "tile" and not a.proposal.members]
    if len(tiles) < 2 or tiles[-1] is not tried[-1] or best_accepted(tried) is tried[-1]:
        return False
    nest = rewritten_nest(tiles[-1].proposal)
    return sum(rewritten_nest(a.proposal) == nest for a in tiles) >= 2


def locality_left(state: RunState, ctx: RunContext, t: LoopTarget, tried: list[Attempt]) -> bool:
    """One more candidate when the analysis has an untried locality rewrite of this nest (a loop order, a tiling,
    unroll-and-jam, fusion, `omp simd` on inner loops the compiler left scalar; for an accepted group, of one of its
    loops) and budget.locality allows: a pragma alone stops near the core count, a better memory walk or vector code
    need not. The search ends when a tile size tried after another one does not win (or the budget is spent)."""
    cfg = config(state)
    done = [a for a in tried if a.proposal.locality]
    if len(done) >= cfg.budget.locality or over_budget(state):
        return False
    if tile_search_over(tried):
        return False
    try:
        reports = ctx.shared_analysis(work(state) / "orig").reports(t.file)
    except Exception:  # no analysis, no rewrite to try
        return False
    report = next((r for r in reports if r.line == t.line), None)
    cands = [*(report.candidates if report is not None else []), *group_rewrites(t, reports, tried)]
    return any(c.locality and not any(same_change(c, a.proposal) for a in tried) for c in cands)


def compose(state: RunState, runtime: Rt) -> dict:
    ctx = runtime.context
    ctx.transcript.event("phase", phase="compose")
    loops = loop_results(state)
    result = composing.compose(ctx.lab, work(state), config(state), Baseline.from_dict(state["baseline"]),
                               loops, ctx.transcript.event)
    for lp in loops:
        if lp.loop_id in result.revoked and lp.accepted is not None:
            revoke(lp, lp.accepted.proposal, result.revoked[lp.loop_id])
        swap = next((a for a in lp.attempts if a.number == result.swapped.get(lp.loop_id)), None)
        if swap is not None and lp.accepted is not None:
            lp.reason = (f"attempt {swap.number} ({swap.check.speedup:.2f}x alone) kept in the final program instead "
                         f"of attempt {lp.accepted.number} ({lp.accepted.check.speedup:.2f}x alone), which rewrote "
                         f"other accepted loops' lines and shut their changes out: the program with attempt "
                         f"{swap.number} and their changes ran faster ({result.check.speedup:.2f}x); "
                         f"{swap.verdict.feedback.evidence}")
            lp.accepted = swap
    small = small_targets((state.get("profile") or {}).get("skipped", []))
    if config(state).search.remainder and (small or result.kept or composing.retimed(loops, result)) \
            and not over_budget(state):
        reports = ctx.shared_analysis(work(state) / "orig").reports
        result, more = try_remainder(ctx.lab, work(state), config(state), Baseline.from_dict(state["baseline"]),
                                     result, loops, small, reports, ctx.transcript.event)
        loops += more
    return {"phase": "report", "composed": result.to_dict(), "loops": [lp.to_dict() for lp in loops]}


def report(state: RunState, runtime: Rt) -> dict:
    runtime.context.transcript.event("phase", phase="report")
    return {"phase": "done", **runtime.context.report(state, runtime.context)}
