"""Planner and critic from their names (the table behind --planner and --critic)."""

from __future__ import annotations

from hpcagent.agent.config import Config
from hpcagent.agent.run.transcript import Transcript
from hpcagent.errors import BadInput

LOCAL_PREFILL = '{"action": "pragma", "line": {line}, "pragma": "#pragma omp'
LOCAL_MAX_NEW_TOKENS = 96
"""A local model's planner answer is one short JSON object: more tokens only buy afterthoughts."""


def is_local(cfg: Config) -> bool:
    return cfg.agent.model == "smollm2" or cfg.agent.model.startswith("transformers:")


def asked_tokens(cfg: Config) -> dict:
    """The answer length the user set ([model] max_new_tokens), for the planner or critic to ask for."""
    return {"max_tokens": cfg.model.max_new_tokens} if cfg.model.max_new_tokens else {}


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

        fallback = AnalysisPlanner(unproven=cfg.search.unproven)
        if is_local(cfg):
            # Small local models answer in the format only when the answer is started for them, and stop at its end.
            limit = cfg.model.max_new_tokens or LOCAL_MAX_NEW_TOKENS
            model = load_model(cfg.agent.model, cfg.model, max_new_tokens=limit, stop_strings=["}"])
            return LLMPlanner(model, fallback=fallback, transcript=transcript, prefill=LOCAL_PREFILL, max_tokens=limit)
        return LLMPlanner(load_model(cfg.agent.model, cfg.model), fallback=fallback, transcript=transcript,
                          **asked_tokens(cfg))
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

        return LLMCritic(rules, load_model(cfg.agent.model, cfg.model), transcript=transcript, **asked_tokens(cfg))
    raise BadInput(f"unknown critic {spec!r}", "use rules or llm")
