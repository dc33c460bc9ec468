"""One full planning step with the real SmolLM2-135M model through transformers (CPU, offline)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hpcagent.agent.models.registry import load_model
from hpcagent.agent.planners.llm import LLMPlanner
from hpcagent.agent.protocols import PlanContext
from hpcagent.agent.run.transcript import Transcript, read_transcript
from hpcagent.records import LoopTarget

pytestmark = [pytest.mark.slow, pytest.mark.llm]

SAXPY_C = """\
void saxpy(int n, float a, const float *x, float *y) {
    for (int i = 0; i < n; i++) {
        y[i] = a * x[i] + y[i];
    }
}
"""


@pytest.fixture(scope="module")
def smollm2():
    """Load the model once for the module (about 16 s on 2 cores); greedy, short answers."""
    model = load_model("smollm2", max_new_tokens=96, stop_strings=["}"])
    model.complete([{"role": "user", "content": "Say OK."}], max_tokens=2)  # pay the load here, once
    return model


def test_smollm2_runs_one_planning_step_end_to_end(smollm2, tmp_path: Path):
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # nothing may be fetched
    (tmp_path / "saxpy.c").write_text(SAXPY_C)
    transcript = Transcript(tmp_path / "transcript.jsonl")
    planner = LLMPlanner(smollm2, max_attempts=1, transcript=transcript, max_tokens=96,
                         prefill='{"action": "pragma", "line": {line}, "pragma": "#pragma omp')
    target = LoopTarget(file="saxpy.c", line=2, end_line=4, function="saxpy", share=0.9)
    context = PlanContext(root=tmp_path, extra={"facts": "y[i] written, x[i] read: iterations independent"})
    proposal = planner.propose(target, context, [])

    events = read_transcript(tmp_path / "transcript.jsonl")
    call = events[0]
    assert call["kind"] == "model_call" and call["backend"] == "transformers:cpu"
    assert "2:     for (int i = 0; i < n; i++) {" in call["messages"][1]["content"]
    assert call["tokens_in"] > 100 and 0 < call["tokens_out"] <= 96 and call["latency"] > 0
    assert call["response"].strip(), "the model said nothing"
    if proposal is not None:  # parsed: a checked pragma for the target loop
        assert [e["kind"] for e in events] == ["model_call", "llm_proposal"]
        assert proposal.source == "llm" and proposal.pragma.startswith("#pragma omp")
        assert proposal.edits[0].start_line == 2 and proposal.edits[0].new_text.startswith("    #pragma omp")
    else:  # rejected: the reason is on record, and the planner says it fell back
        assert [e["kind"] for e in events] == ["model_call", "llm_rejected", "fallback"]
        assert events[1]["reason"] and events[2]["reasons"]
    assert planner.usage.calls == 1 and planner.usage.tokens_out == call["tokens_out"]


def test_greedy_decoding_repeats_itself(smollm2):
    messages = [{"role": "user", "content": "Name one OpenMP clause."}]
    first = smollm2.complete(messages, max_tokens=12)
    second = smollm2.complete(messages, max_tokens=12)
    assert first.text == second.text and first.tokens_out > 0

