"""Loop fusion (tools/loops/fusion.py): two adjacent parallel loops over the same range become one only when no
dependence runs backwards between their bodies and the fused loop is still parallel; what is offered compiles with
gcc -fopenmp -Wall -Werror and prints the serial program's numbers at 2 threads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import outputs_with_edits

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse

HEAD = "#define N 1000\ndouble a[N], b[N], c[N], A[N][N], B[N][N];\n"


def fusions(body: str) -> list:
    """The fusion candidates offered for the function's first loop (line 4)."""
    reps = analyze_source(parse((HEAD + f"void f(void) {{\n{body}\n}}\n").encode(), "c"), "k.c")
    return [c for r in reps if r.line == 4 for c in r.candidates if c.locality == "fusion"]


def test_two_loops_over_the_same_range_sharing_an_array_are_fused():
    found = fusions("for (int i = 0; i < N; i++)\n    a[i] = b[i] * 2.0;\nfor (int i = 0; i < N; i++) {\n"
                    "    c[i] = a[i] + b[i];\n}")
    assert len(found) == 1
    text = found[0].edits[0].new_text
    assert text.count("for (int i") == 1 and text.lstrip().startswith("#pragma omp parallel for\n")
    assert text.index("a[i] = b[i] * 2.0;") < text.index("c[i] = a[i] + b[i];")
    assert (found[0].edits[0].start_line, found[0].edits[0].end_line) == (4, 8)  # both loops replaced
    assert "no dependence runs backwards" in found[0].reason and "a, b" in found[0].reason


def test_fusion_is_refused_when_it_would_reverse_or_carry_a_dependence():
    # the second loop reads a[i + 1], which the first writes one iteration later: fused, it would read it too early
    assert fusions("for (int i = 0; i < N - 1; i++)\n    a[i] = b[i] * 2.0;\nfor (int i = 0; i < N - 1; i++)\n"
                   "    c[i] = a[i + 1];") == []
    # reading a[i - 1] keeps the order but the fused loop carries it from one iteration to the next: not parallel
    assert fusions("for (int i = 1; i < N; i++)\n    a[i] = b[i] * 2.0;\nfor (int i = 1; i < N; i++)\n"
                   "    c[i] = a[i - 1];") == []


def test_only_the_same_range_something_shared_and_nothing_between():
    assert fusions("for (int i = 0; i < N; i++)\n    a[i] = 1.0;\nfor (int i = 1; i < N; i++)\n    c[i] = a[i];") == []
    assert fusions("for (int i = 0; i < N; i++)\n    a[i] = 1.0;\nfor (int i = 0; i < N; i++)\n    c[i] = b[i];") == []
    assert fusions("for (int i = 0; i < N; i++)\n    a[i] = 1.0;\nc[0] = 2.0;\nfor (int i = 0; i < N; i++)\n"
                   "    c[i] = a[i];") == []
    # both bodies declare t: one block cannot declare it twice
    assert fusions("for (int i = 0; i < N; i++) {\n    double t = b[i];\n    a[i] = t;\n}\n"
                   "for (int i = 0; i < N; i++) {\n    double t = a[i];\n    c[i] = t;\n}") == []


PROGRAM = """#include <stdio.h>
#define N 300
double a[N], b[N], c[N], A[N][N], B[N][N];
int main(void) {
    for (int i = 0; i < N; i++) {
        b[i] = (i % 17) * 0.25;
        for (int j = 0; j < N; j++)
            A[i][j] = (i * 7 + j) % 13 / 13.0;
    }
    for (int i = 0; i < N; i++)
        a[i] = b[i] * 2.0 + 1.0;
    for (int i = 0; i < N; i++) {
        double t = a[i] * b[i];
        c[i] = t + a[i];
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            A[i][j] = A[i][j] * c[i] + b[j];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            B[i][j] = A[i][j] + A[i][N - 1 - j];
    double s = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            s += B[i][j] * (i + 1) + c[j];
    printf("%.17g\\n", s);
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by .ci/setup")
def test_fused_loops_compile_and_print_the_serial_numbers(tmp_path: Path):
    reps = analyze_source(parse(PROGRAM.encode(), "c"), "f.c")
    found = {r.line: [c for c in r.candidates if c.locality == "fusion"] for r in reps}
    # the initialisation into the loop that reads b (line 5 with 10), c's loop with the nest that reads c[i] (12 with
    # 16), and the two 2-deep nests (16 with 19: B reads only row i of A, which the fused body has finished by then).
    # Line 10 is too small a loop for a thread team of its own, so nothing starts from it.
    assert all(len(found[line]) == 1 for line in (5, 12, 16)) and found[10] == [], \
        {k: v for k, v in found.items() if v}
    assert found[16][0].edits[0].new_text.count("for (int j") == 2
    src = tmp_path / "f.c"
    src.write_text(PROGRAM)
    first, second, third = (found[line][0].edits for line in (5, 12, 16))
    results = outputs_with_edits(src, [[], first, second, third, first + third], tmp_path)
    assert results[1:] == [results[0]] * 4
