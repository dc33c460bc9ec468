"""The optimize run as a langgraph StateGraph: one function per node, routers on the edges, build_graph()."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph

from hpcagent.agent.config import Config
from hpcagent.agent.protocols import Critic, PlanContext, Planner
from hpcagent.agent.run import evaluate
from hpcagent.agent.run.discovery import amdahl
from hpcagent.agent.run.state import RunState
from hpcagent.agent.run.transcript import Transcript
from hpcagent.records import Attempt, Feedback, LoopTarget, Proposal, Verdict
from hpcagent.tools.loops.groups import covered_by_groups
from hpcagent.tools.patch import EditError, apply_edits


@dataclass
class Runtime:
    """What the nodes use besides the state; injected so tests can pass fakes."""

    sandbox: Any
    planner: Planner
    critic: Critic
    transcript: Transcript
    discover: Callable[[RunState, Config, Any], dict]
    """Finds and ranks the loops: (state, config, sandbox) -> {'targets', 'profile'}."""
    report: Callable[[RunState, Any], dict]
    """Writes patch, report and summary: (state, runtime) -> {'outputs': {...}}."""
    extra_context: Callable[[LoopTarget, Path], dict] = field(default=lambda target, root: {})
    """Planner extras (analysis facts...) for a target."""


def build_graph(rt: Runtime, checkpointer=None):
    """Wire the nodes; `checkpointer` (a SqliteSaver) makes every step resumable."""
    log = rt.transcript.event

    def cfg(state: RunState) -> Config:
        return Config.from_dict(state["config"], "run state")

    def work(state: RunState) -> Path:
        return Path(state["run_dir"]) / "work"

    def target(state: RunState) -> LoopTarget:
        return LoopTarget.from_dict(state["targets"][state["target_index"]])

    def discover(state: RunState) -> dict:
        log("phase", phase="discover", repo=state["repo"])
        evaluate.fresh_copy(Path(state["repo"]), work(state) / "orig")
        found = rt.discover(state, cfg(state), rt.sandbox)
        log("targets", targets=found["targets"], profile=found.get("profile"))
        return {"phase": "baseline", **found, "target_index": -1, "loops": []}

    def baseline(state: RunState) -> dict:
        log("phase", phase="baseline")
        base = evaluate.baseline(rt.sandbox, work(state), cfg(state))
        log("baseline", seconds=base["seconds"], test=base["test"], races=base["races"], runs=base["race_runs"])
        return {"phase": "loops", "baseline": base}

    def select(state: RunState) -> dict:
        index = state["target_index"] + 1
        covered = covered_by_groups(state["loops"])
        while index < len(state["targets"]) and (loop := loop_id(state["targets"][index])) in covered:
            # an accepted group change already made this loop parallel together with its siblings
            log("skip", index=index, loop=loop, group=covered[loop],
                reason=f"covered by the accepted group change on the serial loop {covered[loop]}")
            index += 1
        if index < len(state["targets"]) and not over_budget(state):
            t = LoopTarget.from_dict(state["targets"][index])
            log("target", index=index, loop=t.loop_id, function=t.function, share=t.share, verdict=t.verdict)
        return {"target_index": index, "attempts": [], "proposal": None, "check": None, "exploring": False}

    def plan(state: RunState) -> dict:
        t, root = target(state), work(state) / "orig"
        history = [Attempt.from_dict(a) for a in state["attempts"]]
        context = PlanContext(root=root, threads=cfg(state).threads.count, extra=rt.extra_context(t, root))
        proposal = rt.planner.propose(t, context, history)
        log("proposal", loop=t.loop_id, attempt=len(history) + 1, planner=rt.planner.name,
            proposal=proposal.to_dict() if proposal else None)
        if proposal is None:
            if best_accepted(state["attempts"]):
                return {"proposal": None, "loops": state["loops"] + [finished(state, "accepted", "")]}
            reason = t.reason if not history else "no untried proposal left after: " + \
                history[-1].verdict.feedback.prose()
            return {"proposal": None, "loops": state["loops"] + [finished(state, "given_up", reason)]}
        return {"proposal": proposal.to_dict()}

    def apply(state: RunState) -> dict:
        proposal = Proposal.from_dict(state["proposal"])
        tree = evaluate.fresh_copy(work(state) / "orig", work(state) / "cand")
        try:
            apply_edits(tree, proposal.edits)
        except EditError as exc:
            log("apply", loop=proposal_loop(state), attempt=len(state["attempts"]) + 1, ok=False, error=str(exc))
            return {"check": {"stage": "apply", "error": str(exc)}}
        log("apply", loop=proposal_loop(state), attempt=len(state["attempts"]) + 1, ok=True,
            files=sorted({e.file for e in proposal.edits}))
        return {"check": None}

    def check(state: RunState) -> dict:
        result = evaluate.evidence(rt.sandbox, work(state), "cand", cfg(state), state["baseline"])
        log("check", loop=proposal_loop(state), attempt=len(state["attempts"]) + 1, stage=result["stage"],
            error=result.get("error"), race=result["race"],
            build=result.get("build"), test=result.get("test"), output=result.get("output"),
            timing=result.get("timing"))
        return {"check": result}

    def critique(state: RunState) -> dict:
        t, proposal = target(state), Proposal.from_dict(state["proposal"])
        history = [Attempt.from_dict(a) for a in state["attempts"]]
        verdict: Verdict = rt.critic.review(t, proposal, state["check"], history)
        if verdict.action == "repair" and best_accepted(state["attempts"]):
            # Exploring past an accepted change: one failed alternative ends it, the accepted one is kept.
            verdict = Verdict("give_up", verdict.feedback)
        if verdict.action == "repair" and (len(history) + 1 >= cfg(state).budget.attempts or over_budget(state)):
            verdict = Verdict("give_up", Feedback(verdict.feedback.kind, verdict.feedback.evidence,
                                                  "attempt budget spent", verdict.feedback.data))
        attempt = Attempt(len(history) + 1, proposal, slim(state["check"]), verdict)
        log("verdict", loop=t.loop_id, attempt=attempt.number, action=verdict.action,
            feedback=verdict.feedback.to_dict())
        attempts = state["attempts"] + [attempt.to_dict()]
        update: dict[str, Any] = {"attempts": attempts, "exploring": False}
        if verdict.action == "accept" and worth_exploring(state, t, attempts):
            log("explore", loop=t.loop_id, attempt=attempt.number,
                reason="accepted, but well below what the loop's share allows: trying another candidate")
            return {**update, "exploring": True}
        if verdict.action != "repair":
            kept = best_accepted(attempts)
            status = "accepted" if kept else "given_up"
            reason = verdict.feedback.prose() if not kept or verdict.action == "accept" else \
                (f"accepted attempt {kept['number']} ({kept['check']['timing']['speedup']:.2f}x); another candidate "
                 f"tried for more speed was not better ({verdict.feedback.kind.replace('_', ' ')}: "
                 f"{verdict.feedback.evidence})")
            update["loops"] = state["loops"] + [finished({**state, "attempts": attempts}, status, reason)]
        return update

    def compose(state: RunState) -> dict:
        log("phase", phase="compose")
        result = evaluate.compose(rt.sandbox, work(state), cfg(state), state["baseline"], state["loops"], log)
        return {"phase": "report", "composed": result}

    def report(state: RunState) -> dict:
        log("phase", phase="report")
        return {"phase": "done", **rt.report(state, rt)}

    # Routers: where each decision sends the run.
    def after_select(state: RunState) -> str:
        more = state["target_index"] < len(state["targets"]) and not over_budget(state)
        return "plan" if more else "compose"

    def after_plan(state: RunState) -> str:
        return "apply" if state["proposal"] else "select"          # nothing to try: next loop

    def after_apply(state: RunState) -> str:
        return "critique" if state["check"] else "check"            # an edit that did not fit is critiqued too

    def after_critique(state: RunState) -> str:
        repair = state["attempts"][-1]["verdict"]["action"] == "repair"
        return "plan" if repair or state.get("exploring") else "select"

    def worth_exploring(state: RunState, t: LoopTarget, attempts: list[dict]) -> bool:
        """One more candidate when the gain is well below Amdahl's bound for the loop's share of the time."""
        c = cfg(state)
        explored = sum(1 for a in attempts if a["verdict"]["action"] == "accept") - 1
        if explored >= c.budget.explore or len(attempts) >= c.budget.attempts or over_budget(state):
            return False
        bound = amdahl(t.share if t.share is not None else 1.0, c.threads.count)
        return attempts[-1]["check"]["timing"]["speedup"] < 0.9 * bound

    def over_budget(state: RunState) -> bool:
        return time.time() - state["started"] > cfg(state).budget.wall_minutes * 60

    g = StateGraph(RunState)
    for name, fn in [("discover", discover), ("baseline", baseline), ("select", select), ("plan", plan),
                     ("apply", apply), ("check", check), ("critique", critique), ("compose", compose),
                     ("report", report)]:
        g.add_node(name, fn)
    g.add_edge(START, "discover")
    g.add_edge("discover", "baseline")
    g.add_edge("baseline", "select")
    g.add_conditional_edges("select", after_select, ["plan", "compose"])
    g.add_conditional_edges("plan", after_plan, ["apply", "select"])
    g.add_conditional_edges("apply", after_apply, ["check", "critique"])
    g.add_edge("check", "critique")
    g.add_conditional_edges("critique", after_critique, ["plan", "select"])
    g.add_edge("compose", "report")
    g.add_edge("report", END)
    return g.compile(checkpointer=checkpointer)


def proposal_loop(state: RunState) -> str:
    return loop_id(state["targets"][state["target_index"]])


def loop_id(target: dict) -> str:
    return f"{target['file']}:{target['line']}"


def best_accepted(attempts: list[dict]) -> dict | None:
    """The accepted attempt to keep, if any: the first, unless a later one is faster beyond the noise (its slowest
    ratio above the kept one's median). Two changes within each other's spread are a coin toss on a noisy machine,
    and the analysis ranked the earlier one first for a reason (a team per step, not a fork per inner loop)."""
    best = None
    for a in (a for a in attempts if a["verdict"]["action"] == "accept"):
        t = a["check"]["timing"]
        if best is None or (t.get("speedup_min") or t["speedup"]) > best["check"]["timing"]["speedup"]:
            best = a
    return best


def finished(state: RunState, status: str, reason: str) -> dict:
    """The record of one loop's outcome (an accepted loop keeps its fastest accepted attempt)."""
    t = state["targets"][state["target_index"]]
    accepted = best_accepted(state["attempts"]) if status == "accepted" else None
    if accepted is not None and not reason:
        reason = f"kept attempt {accepted['number']}: " + accepted["verdict"]["feedback"]["evidence"]
    return {"target": t, "status": status, "reason": reason, "attempts": state["attempts"], "accepted": accepted}


def slim(check: dict | None) -> dict:
    """Drop bulky logs from the evidence kept in every attempt (the transcript has them in full)."""
    if not check:
        return {}
    out = dict(check)
    for key in ("build",):
        if out.get(key):
            out[key] = {k: v for k, v in out[key].items() if k != "log"}
    if out.get("race"):
        out["race"] = {**out["race"], "build": {k: v for k, v in out["race"]["build"].items() if k != "log"},
                       "runs": [{k: v for k, v in r.items() if not k.endswith("_tail")} for r in out["race"]["runs"]]}
    if out.get("timing"):
        out["timing"] = {k: v for k, v in out["timing"].items() if not k.startswith("stdout")}
    return out
