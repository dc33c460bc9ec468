"""The LLM critic: the rule-based critic decides, a model explains the raw evidence for the planner."""

from __future__ import annotations

from hpcagent.agent.models.registry import AccountedModel
from hpcagent.agent.protocols import Critic, Model
from hpcagent.agent.run.transcript import Transcript
from hpcagent.errors import HpcAgentError
from hpcagent.evidence import Evidence
from hpcagent.prompts.render import render
from hpcagent.records import Attempt, Feedback, LoopTarget, Proposal, Verdict
from hpcagent.tools.tsan import summary_lines

EVIDENCE_CHARS = 1500
"""Raw evidence shown to the model; the start of a race report or compiler log carries the cause."""



def raw_evidence(check: Evidence, limit: int = EVIDENCE_CHARS) -> str:
    """The evidence worth explaining, most telling first: races with both accesses, compiler errors, the failure,
    failing tests' output, the output difference, the timing; cut to `limit` characters."""
    parts: list[str] = []
    race = check.race
    if race is not None:
        for site, line in zip(race.races, summary_lines(race.races)):
            parts.append(f"race: {line}")
            parts += [f"  {side}: {a.get('kind', '?')} in {a.get('function', '?')} at {a.get('file', '?')}:"
                      f"{a.get('line', '?')}" for side, a in (("first", site.first), ("second", site.second)) if a]
        parts += [f"race-check run at {r.threads} threads failed ({r.reason}): {r.stderr_tail.strip()}"
                  for r in race.runs if not r.ok]
    for build in (race.build if race else None, check.build):
        if build is not None and not build.ok:
            parts += [f"compiler: {d}" for d in build.errors] or [f"build log: {build.log[-600:]}"]
    if check.error:
        parts.append(f"stopped at {check.stage}: {check.error}")
    if check.test is not None and not check.test.ok and check.test.tail:
        parts.append(f"test output: {check.test.tail.strip()}")
    if check.output is not None and check.output.diff:
        parts.append(f"output differs: {check.output.diff}")
    if check.timing is not None:
        parts.append("timing: " + (check.timing.error or check.timing.summary()))
    return "\n".join(parts)[:limit]


class LLMCritic:
    """Wrap a rule-based critic; add the model's explanation to the feedback, never change the verdict."""

    name = "llm"

    def __init__(self, critic: Critic, model: Model, transcript: Transcript | None = None, max_tokens: int = 160):
        self.critic = critic
        self.transcript = transcript if transcript is not None else Transcript()
        self.model = model if isinstance(model, AccountedModel) else AccountedModel(model, self.transcript)
        self.max_tokens = max_tokens

    def review(self, target: LoopTarget, proposal: Proposal, check: Evidence,
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
