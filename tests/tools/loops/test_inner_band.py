"""Rewrites of a band inside a parallel loop's body (tools/loops/inner_bands.py): its loop order, offered with the
loop's own pragma when the band's direction vectors allow an order that walks memory better and never when they
forbid it, then unroll-and-jam of that order; what is offered compiles with -Wall -Werror and prints the serial
program's numbers at 2 threads."""

from __future__ import annotations

from pathlib import Path

from conftest import outputs_with_edits

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse

HEAD = "#define N 120\ndouble A[N][N], C[N][N], D[N][N][N];\n"


def inner(body: str, kind: str = "interchange") -> list:
    """The inner-band rewrites of this kind offered for the function's first loop (line 4)."""
    reps = analyze_source(parse((HEAD + f"void f(double beta) {{\n{body}\n}}\n").encode(), "c"), "k.c")
    return [c for r in reps if r.line == 4 for c in r.candidates
            if c.locality == kind and "; inside it, " in c.reason]


SYRK = """for (int i = 0; i < N; i++) {
    for (int j = 0; j <= i; j++)
        C[i][j] *= beta;
    for (int k = 0; k < N; k++)
        for (int j = 0; j <= i; j++)
            C[i][j] += A[i][k] * A[j][k];
}"""


def test_a_triangular_product_gets_its_inner_band_reordered_under_its_own_pragma():
    found = inner(SYRK)
    assert len(found) == 1
    text = found[0].edits[0].new_text
    # the outer loop keeps the pragma its own analysis gives (dynamic: the inner bounds are triangular)
    assert text.lstrip().startswith("#pragma omp parallel for schedule(dynamic)\nfor (int i = 0; i < N; i++) {")
    # the scaling loop is untouched, the product's band now runs j outside k: A[j][k] walks a row
    assert "for (int j = 0; j <= i; j++)\n        C[i][j] *= beta;" in text
    assert "for (int j = 0; j <= i; j++)\n        for (int k = 0; k < N; k++)\n            C[i][j] +=" in text
    assert "(<, =)" in found[0].reason and "order j, k" in found[0].reason
    # and in that order, four j at once: A[i][k] loaded once for four products, the remainder from (i + 1) / 4 * 4
    jam = inner(SYRK, "unroll-jam")
    assert len(jam) == 1 and "order j, k" in jam[0].reason and "A[i][k]" in jam[0].reason
    text = jam[0].edits[0].new_text
    assert "for (int j = 0; j + 3 <= i; j += 4)\n        for (int k = 0; k < N; k++) {" in text
    assert "C[i][(j + 3)] += A[i][k] * A[(j + 3)][k];" in text
    assert "for (int j = (i + 1) / 4 * 4; j <= i; j++)" in text


def test_a_band_already_in_its_best_order_is_only_unrolled_and_jammed():
    body = SYRK.replace("for (int k = 0; k < N; k++)\n        for (int j = 0; j <= i; j++)",
                        "for (int j = 0; j <= i; j++)\n        for (int k = 0; k < N; k++)")
    assert inner(body) == []
    jam = inner(body, "unroll-jam")
    assert len(jam) == 1 and "interchanged" not in jam[0].reason


def test_a_band_whose_dependence_forbids_the_order_is_left_as_written():
    # every access walks j's rows innermost, so j outside k would walk memory better, but D[i][j][k] reads
    # D[i][j + 1][k - 1], written one k earlier at j + 1: direction (<, >) in (k, j), reversed by that order
    assert inner("for (int i = 0; i < N; i++) {\n    C[i][0] = 0.0;\n"
                 "    for (int k = 1; k < N; k++)\n        for (int j = 0; j < N - 1; j++)\n"
                 "            D[i][j][k] = D[i][j + 1][k - 1] + A[j][k];\n}") == []
    # the same band reading D[i][j][k - 1] (direction (<, =)) is reordered
    legal = inner("for (int i = 0; i < N; i++) {\n    C[i][0] = 0.0;\n"
                  "    for (int k = 1; k < N; k++)\n        for (int j = 0; j < N - 1; j++)\n"
                  "            D[i][j][k] = D[i][j][k - 1] + A[j][k];\n}")
    assert len(legal) == 1 and "(<, =)" in legal[0].reason


def test_no_candidate_when_the_written_order_already_walks_rows():
    # C[i][j] += A[i][k] * A[k][j]: j innermost moves every access by one element
    assert inner("for (int i = 0; i < N; i++) {\n    C[i][0] *= beta;\n"
                 "    for (int k = 0; k < N; k++)\n        for (int j = 0; j < N; j++)\n"
                 "            C[i][j] += A[i][k] * A[k][j];\n}") == []


def test_indices_read_after_the_band_keep_it_as_written():
    def offered(after: str) -> list:
        body = ("int j, k;\nfor (int i = 0; i < N; i++) {\n    C[i][0] *= beta;\n"
                "    for (k = 0; k < N; k++)\n        for (j = 0; j <= i; j++)\n"
                f"            C[i][j] += A[i][k] * A[j][k];\n}}\n{after}")
        reps = analyze_source(parse((HEAD + f"void f(double beta) {{\n{body}\n}}\n").encode(), "c"), "k.c")
        return [c for r in reps for c in r.candidates if "interchanged to the order" in c.reason]

    # j and k declared outside: privatized by the pragma, and reordered (then also jammed) while nothing reads them
    # afterwards
    found = offered("")
    assert [c.locality for c in found] == ["interchange", "unroll-jam"]
    assert all(c.pragma.endswith("private(j) private(k)") for c in found)
    # read after the nest, their last values would differ when the j loop runs no iteration
    assert offered("C[0][0] = j + k;") == []


PROGRAM = """#include <stdio.h>
#define N 150
#define M 97
double A[N][M], C[N][N];
int main(void) {
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < M; k++)
            A[i][k] = (i * 3 + k) % 7 / 7.0;
        for (int j = 0; j < N; j++)
            C[i][j] = (i + 5 * j) % 11 / 11.0;
    }
    for (int i = 0; i < N; i++) {
        for (int j = 0; j <= i; j++)
            C[i][j] *= 1.2;
        for (int k = 0; k < M; k++)
            for (int j = 0; j <= i; j++)
                C[i][j] += 1.5 * A[i][k] * A[j][k];
    }
    double s = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j <= i; j++)
            s += C[i][j] * (i + 2 * j + 1);
    printf("%.17g\\n", s);
    return 0;
}
"""


def test_the_reordered_band_prints_the_serial_bits(tmp_path: Path):
    src = tmp_path / "syrk.c"
    src.write_text(PROGRAM)
    reps = analyze_source(parse(PROGRAM.encode(), "c"), "syrk.c")
    found = [c for r in reps if r.line == 12 for c in r.candidates if "; inside it, " in c.reason]
    assert [c.locality for c in found] == ["interchange", "unroll-jam"]
    # 150 rows: the jammed loop runs its remainder (0 to 3 columns) on every row
    serial, *changed = outputs_with_edits(src, [[], *[c.edits for c in found]], tmp_path)
    assert serial.strip() and changed == [serial, serial]
