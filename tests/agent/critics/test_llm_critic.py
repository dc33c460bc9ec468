"""The LLM critic: the rule-based verdict stands, the model's reading of the evidence is added to it."""

from __future__ import annotations

import pytest

from hpcagent.agent.critics.llm import LLMCritic, raw_evidence
from hpcagent.agent.models.scripted import ScriptedModel
from hpcagent.agent.protocols import Critic
from hpcagent.evidence import Build, Evidence, RaceCheck, RaceRun, RaceSite, TestRun, Timing
from hpcagent.records import Feedback, LoopTarget, Proposal, Verdict

TARGET = LoopTarget(file="dot.c", line=5, end_line=7, function="dot")
PROPOSAL = Proposal(file="dot.c", line=5, end_line=7, pragma="#pragma omp parallel for")
RACE_CHECK = Evidence(stage="race", error="1 race(s)", race=RaceCheck(
    build=Build(ok=True, seconds=0.8, log="clang-16 -fsanitize=thread dot.c"),
    runs=[RaceRun(threads=2, races=1), RaceRun(threads=4, races=1)],
    races=[RaceSite(file="dot.c", line=6, other_file="dot.c", other_line=6, kind="write-read", variable="s",
                    first={"kind": "write", "function": "dot", "file": "dot.c", "line": 6},
                    second={"kind": "read", "function": "dot", "file": "dot.c", "line": 6})],
    threads=[2, 4]))


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
    assert "dot.c:6 s (write-read with dot.c:6)" in prompt and "#pragma omp parallel for" in prompt
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


def test_raw_evidence_puts_races_first_and_is_bounded():
    lines = raw_evidence(RACE_CHECK).splitlines()
    assert lines[0] == "race: dot.c:6 s (write-read with dot.c:6), 1 report"
    assert lines[1] == "  first: write in dot at dot.c:6" and lines[-1] == "stopped at race: 1 race(s)"
    assert "clang-16" not in "\n".join(lines)  # a build that passed is not evidence of anything
    slow = Evidence(stage="timing", error="0.9x: slower", timing=Timing(
        speedup=0.9, speedup_min=0.85, speedup_max=0.95, reps=5, verdict="slower"))
    assert raw_evidence(slow).splitlines()[-1] == "timing: 0.90x (min 0.85, max 0.95) over 5 interleaved runs: slower"
    failed = Evidence(stage="test", error="tests fail: exit 1", test=TestRun(ok=False, tail="x" * 5000))
    assert len(raw_evidence(failed)) == 1500
