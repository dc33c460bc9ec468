"""The LLM planner driven by scripted answers: accepted, repaired, malformed, out of bounds, timed out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpcagent.agent.models.scripted import ScriptedModel
from hpcagent.agent.planners.llm import LLMPlanner
from hpcagent.agent.protocols import PlanContext, Planner
from hpcagent.agent.run.transcript import Transcript, read_transcript
from hpcagent.records import Attempt, Feedback, LoopTarget, Proposal, Verdict

DOT_C = """\
#include <stdio.h>

double dot(const double *a, const double *b, int n) {
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        s += a[i] * b[i];
    }
    return s;
}

int main(void) {
    double a[100], b[100];
    for (int i = 0; i < 100; i++) { a[i] = i; b[i] = 2 * i; }
    printf("%f\\n", dot(a, b, 100));
    return 0;
}
"""
TARGET = LoopTarget(file="src/dot.c", line=5, end_line=7, function="dot", share=0.82)
RACY = '{"action": "pragma", "line": 5, "pragma": "#pragma omp parallel for"}'
REDUCTION = '{"action": "pragma", "line": 5, "pragma": "#pragma omp parallel for reduction(+:s)"}'


def pragma(text: str) -> str:
    return json.dumps({"action": "pragma", "line": 5, "pragma": text})


class AnalysisStub:
    """Stands in for the analysis planner: always the same proposal, so the test sees whose it is."""

    name = "analysis"

    def __init__(self):
        self.calls = 0

    def propose(self, target, context, history):
        self.calls += 1
        return Proposal(file=target.file, line=target.line, end_line=target.end_line,
                        pragma="#pragma omp parallel for reduction(+:s)", source="analysis")


@pytest.fixture
def context(tmp_path: Path) -> PlanContext:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "dot.c").write_text(DOT_C)
    candidate = Proposal(file=TARGET.file, line=5, end_line=7, pragma="#pragma omp parallel for reduction(+:s)",
                         reason="s is a sum over i")
    return PlanContext(root=tmp_path, extra={"facts": "s: sum reduction; a, b: read only",
                                             "analysis_candidate": candidate})


def planner_with(answers: list, tmp_path: Path, **kwargs) -> tuple[LLMPlanner, ScriptedModel]:
    model = ScriptedModel(answers)
    return LLMPlanner(model, transcript=Transcript(tmp_path / "transcript.jsonl"), **kwargs), model


def kinds(tmp_path: Path) -> list[str]:
    return [e["kind"] for e in read_transcript(tmp_path / "transcript.jsonl")]


def test_correct_answer_in_prose_and_fences_becomes_an_indented_pragma(context, tmp_path):
    planner, model = planner_with([f"Here you go:\n```json\n{REDUCTION}\n```\nThis sums s."], tmp_path)
    assert isinstance(planner, Planner)
    proposal = planner.propose(TARGET, context, [])
    assert proposal.source == "llm" and proposal.kind == "pragma"
    assert proposal.pragma == "#pragma omp parallel for reduction(+:s)" and proposal.clauses == ["reduction(+:s)"]
    (edit,) = proposal.edits
    assert (edit.file, edit.start_line, edit.end_line) == ("src/dot.c", 5, 4)
    assert edit.new_text == "    #pragma omp parallel for reduction(+:s)\n"  # the loop's own indentation
    system, user = model.calls[0]
    assert '{"action": "pragma"' in system["content"]  # the weak model sees an example answer
    prompt = user["content"]
    for shown in ("82% of the run time", "\n5:     for (int i = 0; i < n; i++) {", "\n3: double dot(",
                  "s: sum reduction", "s is a sum over i", "lines 5-7"):
        assert shown in prompt
    assert "int main" not in prompt  # only the enclosing function
    assert kinds(tmp_path) == ["model_call", "llm_proposal"]
    assert planner.usage.calls == 1


def test_racy_proposal_is_repaired_after_the_critics_feedback(context, tmp_path):
    planner, model = planner_with([RACY, REDUCTION], tmp_path)
    first = planner.propose(TARGET, context, [])
    assert first.pragma == "#pragma omp parallel for"
    race = Feedback("race", evidence="data race on s: write at src/dot.c:6 by thread T1, read by main thread",
                    suggestion="make s a reduction: reduction(+:s)")
    history = [Attempt(1, first, {"race": {"races": 1}}, Verdict("repair", race))]
    second = planner.propose(TARGET, context, history)
    assert second.pragma == "#pragma omp parallel for reduction(+:s)"
    repair_prompt = model.calls[1][1]["content"]
    assert "Attempt 1: #pragma omp parallel for" in repair_prompt
    assert "race: data race on s" in repair_prompt and "Suggestion: make s a reduction" in repair_prompt
    assert kinds(tmp_path) == ["model_call", "llm_proposal", "model_call", "llm_proposal"]


def test_repeating_a_failed_attempt_is_rejected_and_said_to_the_model(context, tmp_path):
    first = Proposal(file=TARGET.file, line=5, end_line=7, pragma="#pragma omp parallel for", source="llm")
    planner, model = planner_with([RACY], tmp_path)
    first.edits = planner.propose(TARGET, context, []).edits
    history = [Attempt(1, first, {}, Verdict("repair", Feedback("race", evidence="data race on s")))]
    planner, model = planner_with([RACY, REDUCTION], tmp_path / "again")
    assert planner.propose(TARGET, context, history).pragma.endswith("reduction(+:s)")
    assert "repeats attempt 1, which failed (race)" in model.calls[1][-1]["content"]


def test_malformed_answers_get_repair_prompts_until_one_parses(context, tmp_path):
    answers = ["I would parallelize it with a pragma.",
               '{"action": "pragma", "line": 5, pragma: "#pragma omp parallel for"}',
               pragma("#pragma omp parallel for reduction(+:s)")]
    planner, model = planner_with(answers, tmp_path)
    assert planner.propose(TARGET, context, []).source == "llm"
    events = read_transcript(tmp_path / "transcript.jsonl")
    rejected = [e for e in events if e["kind"] == "llm_rejected"]
    assert [e["reason"] for e in rejected] == [
        "your answer has no JSON object",
        "the JSON object in your answer is malformed (check quotes, commas and braces)"]
    repair = model.calls[1]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert repair[2]["content"] == answers[0]
    assert repair[3]["content"].startswith("Your answer was rejected: your answer has no JSON object.")
    assert '"line": 5' in repair[3]["content"]


@pytest.mark.parametrize(("answer", "reason"), [
    ('{"action": "edit", "start_line": 12, "end_line": 13, "new_text": "int x;"}', "outside the function dot"),
    (pragma("#pragma omp parallel for"
            ).replace('"line": 5', '"line": 6'), '"line" must be 5, the first line of the target loop'),
    (pragma("#pragma parallel for"), 'must start with "#pragma omp"'),
    (pragma("#pragma omp critical"), "must name a loop construct"),
    (pragma("#pragma omp parallel for reduction(+:s"), "unbalanced parentheses"),
    ('{"action": "vectorize", "line": 5}', 'unknown "action" "vectorize"'),
    ('{"action": "edit", "start_line": 5, "end_line": 7, "new_text": "for (;;) {"}', "brace balance"),
    ('{"action": "edit", "start_line": 3, "end_line": 4, "new_text": "double dot(void) {\\n"}',
     "do not touch the target loop"),
])
def test_out_of_bounds_or_invalid_answers_fall_back_with_the_reasons(context, tmp_path, answer, reason):
    fallback = AnalysisStub()
    planner, _ = planner_with([answer] * 2, tmp_path, fallback=fallback, max_attempts=2)
    proposal = planner.propose(TARGET, context, [])
    assert proposal.source == "analysis" and fallback.calls == 1
    events = read_transcript(tmp_path / "transcript.jsonl")
    assert [e["kind"] for e in events] == ["model_call", "llm_rejected", "model_call", "llm_rejected", "fallback"]
    assert reason in events[1]["reason"]
    assert events[-1]["planner"] == "analysis" and len(events[-1]["reasons"]) == 2
    assert "using the analysis planner" in events[-1]["message"]


def test_edit_inside_the_function_becomes_a_rewrite(context, tmp_path):
    new = ("    double s = 0.0;\n    #pragma omp parallel for reduction(+:s)\n"
           "    for (int i = 0; i < n; i++) {\n")
    answer = json.dumps({"action": "edit", "start_line": 4, "end_line": 5, "new_text": new})
    planner, _ = planner_with([answer], tmp_path)
    proposal = planner.propose(TARGET, context, [])
    assert proposal.kind == "rewrite" and proposal.pragma == "#pragma omp parallel for reduction(+:s)"
    (edit,) = proposal.edits
    assert (edit.start_line, edit.end_line, edit.new_text) == (4, 5, new)


def test_timeouts_fall_back_to_the_analysis_planner(context, tmp_path):
    fallback = AnalysisStub()
    planner, model = planner_with([{"timeout": True}] * 3, tmp_path, fallback=fallback)
    proposal = planner.propose(TARGET, context, [])
    assert proposal.source == "analysis" and len(model.calls) == 3
    events = read_transcript(tmp_path / "transcript.jsonl")
    assert [e["kind"] for e in events].count("model_call") == 3
    assert all("timed out" in e["error"] for e in events if e["kind"] == "model_call")
    assert events[-1]["kind"] == "fallback" and all("timed out" in r for r in events[-1]["reasons"])
    assert planner.usage.failures == 3


def test_without_fallback_the_planner_gives_up_and_says_so(context, tmp_path):
    planner, _ = planner_with(["no idea"], tmp_path, max_attempts=1)
    assert planner.propose(TARGET, context, []) is None
    last = read_transcript(tmp_path / "transcript.jsonl")[-1]
    assert last["kind"] == "fallback" and last["planner"] is None and "no fallback planner" in last["message"]


def test_prefill_is_sent_and_prepended_to_the_answer(context, tmp_path):
    planner, model = planner_with(['pragma", "line": 5, "pragma": "#pragma omp parallel for reduction(+:s)"}'],
                                  tmp_path, prefill='{"action": "')
    assert planner.propose(TARGET, context, []).clauses == ["reduction(+:s)"]
    assert model.calls[0][-1] == {"role": "assistant", "content": '{"action": "'}


def test_function_span_from_context_limits_edits(context, tmp_path):
    context.extra["function_span"] = (5, 7)
    answer = json.dumps({"action": "edit", "start_line": 4, "end_line": 5, "new_text": "x;\n    for (;;) {\n"})
    planner, _ = planner_with([answer], tmp_path, max_attempts=1)
    assert planner.propose(TARGET, context, []) is None
    assert "outside the function dot (lines 5-7)" in read_transcript(tmp_path / "transcript.jsonl")[1]["reason"]
