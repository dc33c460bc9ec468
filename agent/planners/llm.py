"""The LLM planner: ask a model for a change to one loop, check its answer, repair or fall back."""

from __future__ import annotations

from pathlib import Path

from hpcagent.agent.models.registry import AccountedModel, ModelUsage
from hpcagent.agent.planners.answer import AnswerRejected, parse_answer
from hpcagent.agent.planners.excerpt import numbered_excerpt, target_span
from hpcagent.agent.protocols import Model, PlanContext, Planner
from hpcagent.agent.run.transcript import Transcript
from hpcagent.errors import BudgetExceeded, ModelError
from hpcagent.prompts.render import render
from hpcagent.records import Attempt, LoopTarget, Proposal

FEEDBACK_CHARS = 800
"""Longest critic feedback quoted per earlier attempt (race reports can be long; context costs seconds)."""


class LLMPlanner:
    """Planner backed by a model; after max_attempts bad answers the fallback planner proposes instead."""

    name = "llm"

    def __init__(self, model: Model, fallback: Planner | None = None, max_attempts: int = 3,
                 transcript: Transcript | None = None, max_tokens: int = 300, prefill: str = ""):
        self.transcript = transcript if transcript is not None else Transcript()
        self.model = model if isinstance(model, AccountedModel) else AccountedModel(model, self.transcript)
        self.fallback = fallback
        self.max_attempts = max_attempts
        self.max_tokens = max_tokens
        self.prefill = prefill
        """Text the answer is made to start with, for small local models (e.g. '{"action": "');
        '{line}' in it stands for the loop's first line."""

    @property
    def usage(self) -> ModelUsage:
        return self.model.usage

    def messages(self, target: LoopTarget, context: PlanContext, history: list[Attempt],
                 lines: list[str], span: tuple[int, int]) -> list[dict[str, str]]:
        """Build the system and plan messages for one loop."""
        candidate = context.extra.get("analysis_candidate")
        if isinstance(candidate, dict):
            candidate = Proposal.from_dict(candidate)
        hint = ""
        if candidate is not None:
            hint = candidate.label + (f" ({candidate.reason})" if candidate.reason else "")
        attempts = [{"number": a.number, "label": a.proposal.label,
                     "feedback": a.verdict.feedback.prose()[:FEEDBACK_CHARS]} for a in history]
        plan = render("plan.j2", function=target.function or "?", file=target.file, share=target.share,
                      source=numbered_excerpt(lines, span, target), line=target.line,
                      end_line=target.end_line, facts=context.extra.get("facts") or "", candidate=hint,
                      attempts=attempts)
        return [{"role": "system", "content": render("system.j2")}, {"role": "user", "content": plan}]

    def propose(self, target: LoopTarget, context: PlanContext, history: list[Attempt]) -> Proposal | None:
        """Ask the model up to max_attempts times; return its first valid proposal, else the fallback's."""
        path = Path(context.root) / target.file
        lines = path.read_text(errors="replace").splitlines()
        span = target_span(target, Path(context.root), context.extra)
        base = self.messages(target, context, history, lines, span)
        conversation, failures = base, []
        prefill = self.prefill.replace("{line}", str(target.line))  # not str.format: C and JSON have braces
        for number in range(1, self.max_attempts + 1):
            try:
                completion = self.model.complete(self._with_prefill(conversation, prefill),
                                                 max_tokens=self.max_tokens)
            except BudgetExceeded as exc:
                failures.append(f"attempt {number}: {exc.message}")
                break  # no further call can succeed in this run
            except ModelError as exc:
                failures.append(f"attempt {number}: model failed: {exc.message}")
                self.transcript.event("llm_rejected", loop=target.loop_id, try_number=number, reason=exc.message,
                                      answer=None)
                continue  # a timeout may pass; the same prompt is tried again
            answer = prefill + completion.text
            try:
                proposal = parse_answer(answer, target, span, lines)
                self._check_new(proposal, history)
            except AnswerRejected as exc:
                reason = str(exc)
                failures.append(f"attempt {number}: {reason}")
                self.transcript.event("llm_rejected", loop=target.loop_id, try_number=number, reason=reason,
                                      answer=answer)
                # Only the latest bad answer is kept: a long conversation costs a small model dearly.
                conversation = [*base, {"role": "assistant", "content": answer[:600]},
                                {"role": "user", "content": render("repair.j2", reason=reason, line=target.line)}]
                continue
            self.transcript.event("llm_proposal", loop=target.loop_id, try_number=number, label=proposal.label,
                                  proposal=proposal.to_dict())
            return proposal
        return self._fall_back(target, context, history, failures)

    @staticmethod
    def _with_prefill(messages: list[dict[str, str]], prefill: str) -> list[dict[str, str]]:
        return [*messages, {"role": "assistant", "content": prefill}] if prefill else messages

    @staticmethod
    def _check_new(proposal: Proposal, history: list[Attempt]) -> None:
        """Reject a proposal that repeats an earlier attempt which was not accepted."""
        for attempt in history:
            same_edits = [e.to_dict() for e in attempt.proposal.edits] == [e.to_dict() for e in proposal.edits]
            if attempt.verdict.action != "accept" and same_edits:
                raise AnswerRejected(f"this repeats attempt {attempt.number}, which failed "
                                     f"({attempt.verdict.feedback.kind.replace('_', ' ')}); propose something else")

    def _fall_back(self, target: LoopTarget, context: PlanContext, history: list[Attempt],
                   failures: list[str]) -> Proposal | None:
        proposal = self.fallback.propose(target, context, history) if self.fallback else None
        self.transcript.event("fallback", loop=target.loop_id, planner=self.fallback.name if self.fallback else None,
                              reasons=failures, label=proposal.label if proposal else None,
                              message=f"the model gave no usable answer in {len(failures)} tries; "
                              + (f"using the {self.fallback.name} planner" if self.fallback else "no fallback planner"))
        return proposal
