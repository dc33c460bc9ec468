"""The answer format's parser and the source excerpt the planner shows the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpcagent.agent.planners.answer import AnswerRejected, check_pragma, first_json_object, pragma_clauses
from hpcagent.agent.planners.excerpt import function_span, numbered_excerpt
from hpcagent.records import LoopTarget

LONG_C = "int f(int n, double *a) {\n" + "    a[0] += 1;\n" * 80 + \
         "    for (int i = 0; i < n; i++)\n        a[i] = 0;\n" + "    a[1] += 1;\n" * 20 + "    return 0;\n}\n"


def test_first_json_object_skips_prose_and_braces_in_text():
    assert first_json_object('Use {braces} wisely. {"action": "pragma", "line": 3}\n{"x": 1}') == \
        {"action": "pragma", "line": 3}
    with pytest.raises(AnswerRejected, match="no JSON object"):
        first_json_object("parallel for, obviously")
    with pytest.raises(AnswerRejected, match="malformed"):
        first_json_object('{"action": "pragma", "line": 3,}')
    with pytest.raises(AnswerRejected, match="no JSON object"):
        first_json_object("[1, 2]")


def test_check_pragma_normalises_and_rejects():
    assert check_pragma("#  pragma   omp parallel for  private(j)") == "#pragma omp parallel for private(j)"
    assert check_pragma("#pragma omp simd") == "#pragma omp simd"
    for bad, reason in [(None, "must be a string"), ("#pragma omp parallel for\nfoo", "single line"),
                        ("#pragma omp forever", "loop construct"), ("#pragma ompx for", 'start with "#pragma omp"')]:
        with pytest.raises(AnswerRejected, match=reason):
            check_pragma(bad)


def test_pragma_clauses():
    assert pragma_clauses("#pragma omp parallel for reduction(+:s) private(j) schedule(static, 4) nowait") == \
        ["reduction(+:s)", "private(j)", "schedule(static, 4)", "nowait"]
    assert pragma_clauses("#pragma omp parallel for simd") == []


def test_function_span_and_long_function_excerpt(tmp_path: Path):
    path = tmp_path / "long.c"
    path.write_text("int g(void) { return 1; }\n\n" + LONG_C)
    assert function_span(path, 1) == (1, 1)
    first, last = function_span(path, 85)
    assert (first, last) == (3, 107)
    target = LoopTarget(file="long.c", line=84, end_line=85)
    text = numbered_excerpt(path.read_text().splitlines(), (first, last), target, max_lines=20)
    shown = text.splitlines()
    assert shown[0] == " 3: int f(int n, double *a) {" and shown[1].strip() == "..."
    assert "84:     for (int i = 0; i < n; i++)" in shown and "86:     a[1] += 1;" in shown
    assert len(shown) <= 22 and "50:     a[0] += 1;" not in shown
    assert function_span(path, 2) is None
