"""The optimize run as a langgraph StateGraph: the nodes of agent/run/nodes.py, routers on the edges, build_graph()."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from hpcagent.agent.run import nodes
from hpcagent.agent.run.nodes import RunContext
from hpcagent.agent.run.state import RunState


# Routers: where each decision sends the run.
def after_select(state: RunState) -> str:
    more = state["target_index"] < len(state["targets"]) and not nodes.over_budget(state)
    return "plan" if more else "compose"


def after_plan(state: RunState) -> str:
    return "apply" if state["proposal"] else "select"  # nothing (left) to try: the next loop


def after_apply(state: RunState) -> str:
    return "critique" if state["check"] else "check"  # an edit that did not fit is critiqued too


def after_critique(state: RunState) -> str:
    repair = state["attempts"][-1]["verdict"]["action"] == "repair"
    return "plan" if repair or state.get("exploring") else "select"


def build_graph(checkpointer=None):
    """Wire the nodes; `checkpointer` (a SqliteSaver) makes every step resumable. Invoke the compiled graph with
    `context=RunContext(...)`."""
    g = StateGraph(RunState, context_schema=RunContext)
    for name in ("discover", "baseline", "select", "plan", "apply", "check", "critique", "compose", "report"):
        g.add_node(name, getattr(nodes, name))
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
