"""The LLM critic: the rule-based critic decides, a model explains the raw evidence for the planner."""

from __future__ import annotations

import json
from typing import Any

from hpcagent.agent.models.registry import AccountedModel
from hpcagent.agent.protocols import Critic, Model
from hpcagent.agent.run.transcript import Transcript
from hpcagent.errors import HpcAgentError
from hpcagent.prompts.render import render
from hpcagent.records import Attempt, Feedback, LoopTarget, Proposal, Verdict

EVIDENCE_CHARS = 1500
"""Raw evidence shown to the model; the start of a race report or compiler log carries the cause."""

# Keys of the sandbox's check result that hold the evidence worth explaining, most telling first.
_TELLING = ("race", "report", "diagnostic", "error", "stderr", "failed", "diff", "timing", "speedup", "stdout")


def raw_evidence(check: dict[str, Any], limit: int = EVIDENCE_CHARS) -> str:
    """Flatten the check result's telling text fields (race reports, compiler errors, timings) into one excerpt."""
    found: list[tuple[int, str]] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list) and value and not all(isinstance(v, (str, dict, list)) for v in value):
            walk(json.dumps(value), path)
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                walk(sub, f"{path}[{i}]")
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            rank = next((i for i, word in enumerate(_TELLING) if word in path.lower()), None)
            if rank is not None:
                found.append((rank, f"{path}: {str(value).strip()}"))

    walk(check, "")
    text = "\n".join(item for _, item in sorted(found, key=lambda pair: pair[0]))
    return text[:limit]


class LLMCritic:
    """Wrap a rule-based critic; add the model's explanation to the feedback, never change the verdict."""

    name = "llm"

    def __init__(self, critic: Critic, model: Model, transcript: Transcript | None = None, max_tokens: int = 160):
        self.critic = critic
        self.transcript = transcript if transcript is not None else Transcript()
        self.model = model if isinstance(model, AccountedModel) else AccountedModel(model, self.transcript)
        self.max_tokens = max_tokens

    def review(self, target: LoopTarget, proposal: Proposal, check: dict[str, Any],
               history: list[Attempt]) -> Verdict:
        """Return the rule-based verdict, its feedback extended with the model's explanation when it has one."""
        verdict = self.critic.review(target, proposal, check, history)
        if verdict.action == "accept":
            return verdict  # nothing to explain: the evidence already says it all
        evidence = "\n".join(part for part in (verdict.feedback.evidence, raw_evidence(check)) if part)
        prompt = render("critic.j2", line=target.line, end_line=target.end_line, file=target.file,
                        label=proposal.label, verdict=verdict.action, kind=verdict.feedback.kind,
                        evidence=evidence or "(none recorded)")
        try:
            completion = self.model.complete([{"role": "user", "content": prompt}], max_tokens=self.max_tokens)
        except HpcAgentError as exc:
            self.transcript.event("critic_explained", loop=target.loop_id, explanation=None, error=exc.message)
            return verdict
        explanation = " ".join(completion.text.split())[:600]
        if not explanation:
            return verdict
        feedback = verdict.feedback
        extended = Feedback(kind=feedback.kind, data=dict(feedback.data),
                            evidence=f"{feedback.evidence}\nModel's reading of the evidence: {explanation}".strip(),
                            suggestion=feedback.suggestion or explanation)
        self.transcript.event("critic_explained", loop=target.loop_id, explanation=explanation)
        return Verdict(action=verdict.action, feedback=extended)
