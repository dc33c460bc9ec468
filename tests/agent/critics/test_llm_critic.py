"""The LLM critic: the rule-based verdict stands, the model's reading of the evidence is added to it."""

from __future__ import annotations

import pytest

from hpcagent.agent.critics.llm import LLMCritic, raw_evidence
from hpcagent.agent.models.scripted import ScriptedModel
from hpcagent.agent.protocols import Critic
from hpcagent.records import Feedback, LoopTarget, Proposal, Verdict

TARGET = LoopTarget(file="dot.c", line=5, end_line=7, function="dot")
PROPOSAL = Proposal(file="dot.c", line=5, end_line=7, pragma="#pragma omp parallel for")
RACE_CHECK = {
    "build": {"ok": True, "seconds": 0.8},
    "race": {"ok": False, "report": "WARNING: ThreadSanitizer: data race\n  Write of size 8 at dot.c:6:11\n"
                                    "  Previous read at dot.c:6:11"},
    "timing": {"speedup": 1.7},
}


class RuleCritic:
    name = "rules"

    def __init__(self, verdict: Verdict):
        self.verdict = verdict

    def review(self, target, proposal, check, history):
        return self.verdict


def race_verdict() -> Verdict:
    return Verdict("repair", Feedback("race", evidence="data race at dot.c:6", suggestion="add a reduction clause",
                                      data={"lines": [6]}))


def test_explanation_is_added_and_the_verdict_kept():
    model = ScriptedModel(["  s is written by every\niteration; use reduction(+:s).  "])
    critic = LLMCritic(RuleCritic(race_verdict()), model)
    assert isinstance(critic, Critic)
    verdict = critic.review(TARGET, PROPOSAL, RACE_CHECK, [])
    assert verdict.action == "repair" and verdict.feedback.kind == "race"
    assert verdict.feedback.evidence == ("data race at dot.c:6\nModel's reading of the evidence: "
                                         "s is written by every iteration; use reduction(+:s).")
    assert verdict.feedback.suggestion == "add a reduction clause" and verdict.feedback.data == {"lines": [6]}
    prompt = model.calls[0][0]["content"]
    assert "Write of size 8 at dot.c:6:11" in prompt and "#pragma omp parallel for" in prompt
    assert "lines 5-7 of dot.c" in prompt
    kinds = [e["kind"] for e in critic.transcript.events]
    assert kinds == ["model_call", "critic_explained"]


@pytest.mark.parametrize("failure", [{"timeout": True}, {"error": "HTTP 500"}])
def test_a_failing_model_never_changes_the_verdict(failure):
    original = race_verdict()
    critic = LLMCritic(RuleCritic(original), ScriptedModel([failure]))
    verdict = critic.review(TARGET, PROPOSAL, RACE_CHECK, [])
    assert verdict.to_dict() == original.to_dict()
    assert critic.transcript.events[-1]["kind"] == "critic_explained"
    assert critic.transcript.events[-1]["explanation"] is None and critic.transcript.events[-1]["error"]


def test_accepted_changes_need_no_explanation():
    model = ScriptedModel([])
    accepted = Verdict("accept", Feedback("accepted", evidence="1.7x faster, no races"))
    assert LLMCritic(RuleCritic(accepted), model).review(TARGET, PROPOSAL, RACE_CHECK, []) is accepted
    assert model.calls == []


def test_raw_evidence_puts_race_reports_first_and_is_bounded():
    text = raw_evidence(RACE_CHECK)
    assert text.splitlines()[0].startswith("race.report: WARNING: ThreadSanitizer: data race")
    assert "timing.speedup: 1.7" in text and "build.seconds" not in text
    assert len(raw_evidence({"stderr": "x" * 5000})) == 1500
