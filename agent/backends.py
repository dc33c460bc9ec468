"""Planner and critic from their names (the table behind --planner and --critic)."""

from __future__ import annotations

from hpcagent.agent.config import Config
from hpcagent.agent.run.transcript import Transcript
from hpcagent.errors import BadInput

LOCAL_PREFILL = '{"action": "pragma", "line": {line}, "pragma": "#pragma omp'



def make_planner(spec: str, cfg: Config, transcript: Transcript):
    """analysis | llm | scripted:FILE -> a Planner."""
    if spec == "analysis":
        from hpcagent.agent.planners.analysis import AnalysisPlanner

        return AnalysisPlanner(unproven=cfg.search.unproven)
    if spec.startswith("scripted:"):
        from hpcagent.agent.planners.scripted import ScriptedPlanner

        return ScriptedPlanner(spec.split(":", 1)[1])
    if spec == "llm":
        from hpcagent.agent.models.registry import load_model
        from hpcagent.agent.planners.analysis import AnalysisPlanner
        from hpcagent.agent.planners.llm import LLMPlanner

        local = cfg.agent.model == "smollm2" or cfg.agent.model.startswith("transformers:")
        if local:
            # Small local models answer in the format only when the answer is started for them.
            model = load_model(cfg.agent.model, {"max_new_tokens": 96, "stop_strings": ["}"]})
            return LLMPlanner(model, fallback=AnalysisPlanner(unproven=cfg.search.unproven), transcript=transcript,
                              prefill=LOCAL_PREFILL)
        return LLMPlanner(load_model(cfg.agent.model), fallback=AnalysisPlanner(unproven=cfg.search.unproven),
                          transcript=transcript)
    raise BadInput(f"unknown planner {spec!r}", "use analysis, llm or scripted:FILE")


def make_critic(spec: str, cfg: Config, transcript: Transcript):
    """rules | llm -> a Critic (the rules decide either way)."""
    from hpcagent.agent.critics.rules import RuleCritic

    rules = RuleCritic(max_attempts=cfg.budget.attempts)
    if spec == "rules":
        return rules
    if spec == "llm":
        from hpcagent.agent.critics.llm import LLMCritic
        from hpcagent.agent.models.registry import load_model

        return LLMCritic(rules, load_model(cfg.agent.model), transcript=transcript)
    raise BadInput(f"unknown critic {spec!r}", "use rules or llm")
