"""Unroll-and-jam (tools/loops/unroll_jam.py): offered only where the direction vectors allow moving the unrolled
loop innermost and something is reused along it; what is offered compiles with gcc -fopenmp -Wall -Werror and prints
the serial program's numbers at 2 threads, remainder iterations included."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import outputs_with_edits

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.loops.unroll_jam import UNROLL

HEAD = "#define N 150\ndouble A[N][N], B[N][N], C[N][N], D[N][N][N], x[N], y[N];\n"


def jams(body: str, params: str = "void") -> list:
    """The unroll-and-jam candidates offered for the function's first loop (line 4)."""
    reps = analyze_source(parse((HEAD + f"void f({params}) {{\n{body}\n}}\n").encode(), "c"), "k.c")
    return [c for r in reps if r.line == 4 for c in r.candidates if c.locality == "unroll-jam"]


def test_a_matrix_vector_product_unrolls_its_parallel_row_loop():
    found = jams("for (int i = 0; i < N; i++) for (int j = 0; j < N; j++)\n    y[i] += A[i][j] * x[j];")
    assert len(found) == 1
    text = found[0].edits[0].new_text
    assert text.lstrip().startswith("#pragma omp parallel for\n")
    # the parallel loop stays in OpenMP's canonical form; the remainder starts where the main loop stopped
    assert f"for (int i = 0; i < N - {UNROLL - 1}; i += {UNROLL})" in text
    assert f"for (int i = N / {UNROLL} * {UNROLL}; i < N; i++)" in text
    assert "y[(i + 3)] += A[(i + 3)][j] * x[j];" in text
    assert "x[j]" in found[0].reason and "moving i innermost reverses no dependence" in found[0].reason


def test_a_reversed_dependence_forbids_it_and_no_reuse_means_no_candidate():
    # D[i][j][k] reads D[i][j - 1][k + 1]: direction (=, <, >); j moved inside k would read before the write
    assert jams("for (int i = 0; i < N; i++) for (int j = 1; j < N; j++) for (int k = 0; k < N - 1; k++)\n"
                "    D[i][j][k] = D[i][j - 1][k + 1] + A[i][k];") == []
    # (=, <, =) may be jammed: the same nest reading D[i][j - 1][k] is offered, A[i][k] being reused along j
    legal = jams("for (int i = 0; i < N; i++) for (int j = 1; j < N; j++) for (int k = 0; k < N; k++)\n"
                 "    D[i][j][k] = D[i][j - 1][k] + A[i][k];")
    assert len(legal) == 1 and "(=, <, =)" in legal[0].reason
    # everything moves with j: nothing to load once for four iterations
    assert jams("for (int i = 0; i < N; i++) for (int j = 1; j < N; j++) for (int k = 0; k < N; k++)\n"
                "    D[i][j][k] = D[i][j - 1][k] + 1.0;") == []


def test_an_unsigned_bound_of_the_parallel_loop_is_not_unrolled():
    body = "for (int i = 0; i < n; i++) for (int j = 0; j < N; j++)\n    y[i] += A[i][j] * x[j];"
    assert jams(body, "unsigned n") == []  # n - 3 would wrap around for n < 3
    assert len(jams(body, "int n")) == 1


PROGRAM = """#include <stdio.h>
#define N 150
double A[N][N], B[N][N], C[N][N], x[N], y[N];
int main(int argc, char **argv) {
    int i, j, k, m = argc > 5 ? 2 : M; (void)argv;
    for (i = 0; i < N; i++) {
        x[i] = (i % 13) / 13.0;
        y[i] = 0.0;
        for (j = 0; j < N; j++) {
            A[i][j] = (i * 3 + j) % 7 / 7.0;
            B[i][j] = (i + 5 * j) % 11 / 11.0;
            C[i][j] = 0.0;
        }
    }
    for (i = 0; i < m; i++)
        for (j = 0; j < N; j++)
            y[i] += A[i][j] * x[j];
    for (i = 0; i < N; i++)
        for (k = 0; k <= m - 1; k++)
            for (j = 0; j < N; j++)
                C[i][j] += A[i][k] * B[k][j];
    double s = 0.0;
    for (i = 0; i < N; i++) {
        s += y[i] * (i + 1);
        for (j = 0; j < N; j++)
            s += C[i][j] * (i + 1) + j;
    }
    printf("%.17g\\n", s);
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by .ci/setup")
@pytest.mark.parametrize("m", [150, 149, 3])
def test_the_jammed_nests_compile_and_print_the_serial_numbers(tmp_path: Path, m: int):
    """m rows (a run-time bound): a remainder of 2, of 1, and fewer rows than one unrolled step (main loop empty)."""
    text = PROGRAM.replace("#define N 150", f"#define N 150\n#define M {m}")
    reps = analyze_source(parse(text.encode(), "c"), "mv.c")
    found = {r.line: [c for c in r.candidates if c.locality == "unroll-jam"] for r in reps}
    assert len(found[16]) == 1 and len(found[19]) == 1, {k: v for k, v in found.items() if v}
    # indices declared outside the loops: the remainder assigns its start, the pragma keeps them private
    assert found[16][0].clauses == ["private(j)"] and found[19][0].clauses == ["private(j)", "private(k)"]
    assert f"for (i = 0; i < m - {UNROLL - 1}; i += {UNROLL})" in found[16][0].edits[0].new_text
    assert f"for (i = m / {UNROLL} * {UNROLL}; i < m; i++)" in found[16][0].edits[0].new_text
    assert f"for (k = 0; k + {UNROLL - 1} <= (m - 1); k += {UNROLL})" in found[19][0].edits[0].new_text
    assert f"for (k = ((m - 1) + 1) / {UNROLL} * {UNROLL}; k <= m - 1; k++)" in found[19][0].edits[0].new_text
    src = tmp_path / "mv.c"
    src.write_text(text)
    one, two = found[16][0].edits, found[19][0].edits
    results = outputs_with_edits(src, [[], one, two, one + two], tmp_path)
    # each element's sum keeps its written order: the same bits, not only the same numbers within a tolerance
    assert results[1:] == [results[0]] * 3
