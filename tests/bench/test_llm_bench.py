"""The LLM benchmark harness on a handful of labeled loops, with scripted answers."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from conftest import REPO

from hpcagent.agent.models.scripted import ScriptedModel

BENCH = REPO / "bench" / "llm_bench.py"
spec = importlib.util.spec_from_file_location("llm_bench", BENCH)
llm_bench = importlib.util.module_from_spec(spec)
sys.modules["llm_bench"] = llm_bench  # dataclasses look their module up there
spec.loader.exec_module(llm_bench)

KERNELS_C = """\
double sum(const double *a, int n) {
    double s = 0.0;
    // expect: #pragma omp parallel for reduction(+:s)
    for (int i = 0; i < n; i++)
        s += a[i];
    return s;
}

void scale(double *a, int n) {
    for (int i = 0; i < n; i++) { a[i] *= 2.0; }  // expect: #pragma omp parallel for
}

void prefix(double *a, int n) {
    for (int i = 1; i < n; i++) {  // expect: serial
        a[i] += a[i - 1];
    }
}
"""


def answer(line: int, pragma: str) -> str:
    return json.dumps({"action": "pragma", "line": line, "pragma": pragma})


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "kernels.c").write_text(KERNELS_C)
    return tmp_path


def test_labels_from_comments_and_from_a_labels_file(corpus):
    labels = llm_bench.load_corpus(corpus)
    assert [(lb.file, lb.line, lb.pragma) for lb in labels] == [
        ("kernels.c", 4, "#pragma omp parallel for reduction(+:s)"),
        ("kernels.c", 10, "#pragma omp parallel for"),
        ("kernels.c", 14, None)]
    (corpus / "labels.json").write_text(json.dumps({"kernels.c:10": "#pragma omp parallel for"}))
    assert [(lb.file, lb.line) for lb in llm_bench.load_corpus(corpus)] == [("kernels.c", 10)]


@pytest.mark.parametrize(("expected", "got", "ok"), [
    ("#pragma omp parallel for reduction(+:s)", "#pragma omp parallel for reduction(+: s) schedule(static)", True),
    ("#pragma omp parallel for reduction(+:s)", "#pragma omp parallel for", False),
    ("#pragma omp parallel for private(t)", "#pragma omp parallel for lastprivate(t) private(j)", True),
    ("#pragma omp parallel for private(t)", "#pragma omp parallel for", False),
    (None, None, True),
    (None, "#pragma omp parallel for", False),
])
def test_pragma_matching(expected, got, ok):
    assert llm_bench.pragma_matches(expected, got) is ok


def test_run_scores_both_planners_and_counts_tokens(corpus):
    labels = llm_bench.load_corpus(corpus)
    model = ScriptedModel([
        answer(4, "#pragma omp parallel for reduction(+:s)"),  # right
        "no JSON here", answer(10, "#pragma omp parallel for"),  # repaired on the second try: right
        answer(14, "#pragma omp parallel for"), answer(14, "#pragma omp parallel for"),  # racy: wrong
    ])
    result = llm_bench.run(labels, corpus, model, max_attempts=2)  # with the real static analysis
    rows = result["rows"]
    assert [r["llm_ok"] for r in rows] == [True, True, False]
    assert [r["analysis_ok"] for r in rows] == [True, True, True]
    assert [r["calls"] for r in rows] == [1, 2, 1]
    assert result["llm_accuracy"] == pytest.approx(2 / 3) and result["analysis_accuracy"] == 1.0
    assert all(r["tokens"] > 0 for r in rows)
    last_prompt = model.calls[-1][1]["content"]
    assert "flow/anti dependence" in last_prompt  # the analysis facts reach the model
    assert "Function prefix in kernels.c" in last_prompt  # the loop's function, found by the harness
    assert "s=reduction(+)" in model.calls[0][1]["content"]
    table = llm_bench.markdown(result)
    assert "llm accuracy: 67%" in table and "| kernels.c:14 | serial | serial | yes |" in table


def test_main_writes_the_tables(corpus, tmp_path):
    script = tmp_path / "answers.jsonl"
    script.write_text("\n".join(json.dumps(a) for a in [
        answer(4, "#pragma omp parallel for"), answer(10, "#pragma omp parallel for")]))
    out = tmp_path / "result.md"
    assert llm_bench.main(["--model", f"scripted:{script}", "--corpus", str(corpus), "--limit", "2",
                           "--attempts", "1", "--out", str(out)]) == 0
    saved = json.loads(out.with_suffix(".json").read_text())
    assert [r["llm_ok"] for r in saved["rows"]] == [False, True] and saved["loops"] == 2
    assert out.read_text().startswith("# LLM planner benchmark (scripted:answers.jsonl, 2 loops)")
