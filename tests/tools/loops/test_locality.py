"""Loop order and tiling from direction vectors (tools/loops/directions.py, tools/loops/interchange.py): which
rewrites are legal, that an illegal one is never proposed, and that what is proposed compiles and computes the
same result as the written nest (gcc, OpenMP, 2 threads). The sandbox's race check and timing of these rewrites are
in tests/agent/run/test_locality_docker.py."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from conftest import outputs_with_edits

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.loops.directions import BandDeps, band_dependences, perfect_band
from hpcagent.tools.loops.verdict import FileAnalyzer

HEAD = "#define N 150\ndouble A[N][N], B[N][N], C[N][N], D[N][N][N];\n"


def deps_of(body: str, params: str = "void") -> BandDeps | str:
    fa = FileAnalyzer(parse((HEAD + f"void f({params}) {{\n{body}\n}}\n").encode(), "c"))
    top = next(lp for lp in fa.loops if lp.depth == 1)
    return band_dependences(fa, perfect_band(fa, top))


def legal_orders(deps: BandDeps) -> list[tuple[int, ...]]:
    return [o for o in itertools.permutations(range(len(deps.band))) if deps.legal_order(o)]


def locality(body: str) -> list:
    """The locality rewrites offered for the function's first loop."""
    reps = analyze_source(parse((HEAD + f"void f(void) {{\n{body}\n}}\n").encode(), "c"), "k.c")
    return [c for r in reps if r.line == 4 for c in r.candidates if c.locality]


def test_a_matrix_product_carries_only_k_so_every_order_and_tiling_is_legal():
    deps = deps_of("for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) for (int k = 0; k < N; k++)\n"
                   "    C[i][j] += A[i][k] * B[k][j];")
    assert isinstance(deps, BandDeps) and deps.vectors == {("=", "=", "<")}
    assert len(legal_orders(deps)) == 6 and deps.fully_permutable()
    assert deps.parallel_at((0, 2, 1), 0) and not deps.parallel_at((2, 0, 1), 0)


def test_an_anti_diagonal_dependence_forbids_the_swap_and_the_tiling():
    # A[i][j] reads A[i-1][j+1]: direction (<, >); swapped it would be (>, <), a reversed dependence
    deps = deps_of("for (int i = 1; i < N; i++) for (int j = 0; j < N - 1; j++)\n    A[i][j] = A[i - 1][j + 1] + 1.0;")
    assert isinstance(deps, BandDeps) and deps.vectors == {("<", ">")}
    assert legal_orders(deps) == [(0, 1)] and not deps.fully_permutable()


def test_a_two_way_recurrence_may_be_swapped_and_tiled_but_has_no_parallel_loop():
    deps = deps_of("for (int i = 1; i < N; i++) for (int j = 1; j < N; j++)\n"
                   "    A[i][j] = A[i - 1][j] + A[i][j - 1];")
    assert isinstance(deps, BandDeps) and deps.vectors == {("<", "="), ("=", "<")}
    assert legal_orders(deps) == [(0, 1), (1, 0)] and deps.fully_permutable()
    assert not deps.parallel_at((0, 1), 0) and not deps.parallel_at((1, 0), 0)
    assert locality("for (int i = 1; i < N; i++) for (int j = 1; j < N; j++)\n"
                    "    A[i][j] = A[i - 1][j] + A[i][j - 1];") == []


def test_what_the_vectors_cannot_see_stops_them():
    assert "s is written" in deps_of("double s = 0;\nfor (int i = 0; i < N; i++) for (int j = 0; j < N; j++)\n"
                                     "    s += A[j][i];")
    assert "calls g" in deps_of("for (int i = 0; i < N; i++) for (int j = 0; j < N; j++)\n    A[j][i] = g(i);")
    assert "may alias" in deps_of("for (int i = 0; i < N; i++) for (int j = 0; j < N; j++)\n    p[j * N + i] = q[i];",
                                  "double *p, double *q")


def test_the_better_order_is_proposed_only_when_legal():
    # B[i][k][j]: k walks rows of N elements innermost; (i, k, j) walks them in storage order
    legal = locality("for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) for (int k = 1; k < N; k++)\n"
                     "    D[i][k][j] = D[i][k - 1][j] + 1.0;")
    swap = next(c for c in legal if c.locality == "interchange")
    text = swap.edits[0].new_text
    assert text.index("for (int k") < text.index("for (int j") and text.lstrip().startswith("#pragma omp parallel for")
    assert "(=, =, <)" in swap.reason
    # the same walk, but the read is one row back and one column ahead: (=, <, >) over (i, j, k); (i, k, j) would
    # read an element before it is written. Nothing is proposed: the written order is the only legal one with a
    # parallel outer loop, and a '>' forbids tiling.
    assert locality("for (int i = 0; i < N; i++) for (int j = 1; j < N; j++) for (int k = 0; k < N - 1; k++)\n"
                    "    D[i][k][j] = D[i][k + 1][j - 1] + 1.0;") == []


def test_tilings_are_offered_for_reuse_with_the_outer_tile_loop_parallel():
    tiles = [c for c in locality("for (int i = 0; i < N; i++) for (int k = 0; k < N; k++) for (int j = 0; j < N; j++)\n"
                                 "    C[i][j] += A[i][k] * B[k][j];") if c.locality == "tile"]
    assert [c.edits[0].new_text.count(f"+= {s})") for c in tiles for s in (64,)] == [3, 0, 0]
    first = tiles[0].edits[0].new_text.splitlines()
    assert first[0].strip() == "#pragma omp parallel for" and first[1].strip().startswith("for (int ii = 0; ii < N;")
    assert "fully permutable" in tiles[0].reason


GEMM = """#include <stdio.h>
#define N 150
double A[N][N], B[N][N], C[N][N];
int main(void) {
    int i, j, k;
    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++) {
            A[i][j] = (i * 3 + j) % 7 / 7.0;
            B[i][j] = (i + 5 * j) % 11 / 11.0;
            C[i][j] = 0.0;
        }
    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++)
            for (k = 0; k < N; k++)
                C[i][j] += A[i][k] * B[k][j];
    double s = 0.0;
    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++)
            s += C[i][j] * (i + 1) + j;
    printf("%.17g\\n", s);
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by .ci/setup")
def test_every_rewrite_offered_compiles_and_computes_the_same_numbers(tmp_path: Path):
    src = tmp_path / "gemm.c"
    src.write_text(GEMM)
    reps = analyze_source(parse(GEMM.encode(), "c"), "gemm.c")
    rewrites = [c for r in reps if r.line == 12 for c in r.candidates if c.locality]
    # the search order: the first tiling, the loop order, unroll-and-jam (of j, A[i][k] being reused along it), the
    # other tile sizes
    assert [c.locality for c in rewrites] == ["tile", "interchange", "unroll-jam", "tile", "tile"]

    # indices declared outside the loops (the unrolled nest keeps i as the pragma's own loop)
    for cand in rewrites:
        assert ("private(j) private(k)" if cand.locality == "unroll-jam" else "private(i, j, k)") in \
            cand.edits[0].new_text, cand.reason
    want, *got = outputs_with_edits(src, [[], *(c.edits for c in rewrites)], tmp_path)
    assert got == [want] * len(rewrites)


TEXTBOOK = """#include <stdio.h>
#define N 150
double A[N][N], B[N][N], C[N][N], D[N][N];
int main(void) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (i * 3 + j) % 7 / 7.0;
            B[i][j] = (i + 5 * j) % 11 / 11.0;
            C[i][j] = (i + j) % 3;
        }
    for (int i = 0; i < N; i++)
        for (int j = 1; j < N; j++) {
            BODY
            for (int k = 0; k < N; k++)
                C[i][j] += 1.5 * A[i][k] * B[k][j];
        }
    double s = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            s += (C[i][j] + D[i][j]) * (i + 1) + j;
    printf("%.17g\\n", s);
    return 0;
}
"""


def rewrites_at(text: str, line: int) -> list:
    reps = analyze_source(parse(text.encode(), "c"), "mm.c")
    return [c for r in reps if r.line == line for c in r.candidates if c.locality]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by .ci/setup")
def test_a_textbook_product_is_distributed_then_reordered_and_computes_the_same(tmp_path: Path):
    # the statement before the k loop reads this iteration's element only: the j loop may be split over its parts
    text = TEXTBOOK.replace("BODY", "C[i][j] *= 0.5; D[i][j] = C[i][j];")
    found = rewrites_at(text, 11)
    assert [c.locality for c in found] == ["tile", "interchange", "tile", "tile"]
    found = [found[1], found[0], *found[2:]]
    assert "distribute the loop j at line 12 over its 2 parts" in found[0].reason
    new = found[0].edits[0].new_text
    assert new.lstrip().startswith("#pragma omp parallel for")
    assert new.index("D[i][j] = C[i][j];") < new.index("for (int k") < new.index("for (int j = 1", new.index("for (int k"))
    # one step further out: the i loop split over the two loops it now holds, the product's copy tiled
    tiled = found[1].edits[0].new_text
    assert tiled.count("#pragma omp parallel for") == 2 and "kk += 64" in tiled and "distribute the loop i" in \
        found[1].reason
    src = tmp_path / "mm.c"
    src.write_text(text)
    results = outputs_with_edits(src, [[], *(c.edits for c in found)], tmp_path)
    assert results[1:] == [results[0]] * len(found)


def test_distribution_is_refused_when_a_dependence_runs_backwards():
    # D[i][j] reads the C element the k loop finished one iteration of j before: split, every D would read C
    # before any of it is updated
    assert rewrites_at(TEXTBOOK.replace("BODY", "D[i][j] = C[i][j - 1];"), 11) == []
    # a scalar carried between the parts is not modelled either
    carried = TEXTBOOK.replace("double s = 0.0;", "double s = 0.0, w = 0.0;")
    assert rewrites_at(carried.replace("BODY", "w = C[i][j]; D[i][j] = w;"), 11) == []


def test_rewrites_of_a_macro_sized_nest_keep_the_file_s_own_text(tmp_path: Path):
    """Analysed as the compiler sees it (N and the type expanded), rewritten as the file is written."""
    from hpcagent.tools.loops import views
    from hpcagent.tools.loops.analysis import analyze_file
    from hpcagent.tools.loops.cparse import parse_file

    text = ("#define N 300\n#define REAL double\nstatic REAL A[N][N], B[N][N], C[N][N];\n"
            "void mm(REAL beta)\n{\n"
            "    for (int i = 0; i < N; i++)\n"
            "        for (int j = 0; j < N; j++) {\n"
            "            C[i][j] *= beta; /* scale first */\n"
            "            for (int k = 0; k < N; k++)\n"
            "                C[i][j] += (REAL)2 * A[i][k] * B[k][j];\n"
            "        }\n"
            "    for (int i = 0; i < N; i++)\n"
            "        for (int j = 0; j < N; j++)\n"
            "            for (int k = 0; k < N; k++)\n"
            "                A[i][j] += (REAL)3 * C[i][k] * B[k][j];\n}\n")
    (tmp_path / "mm.c").write_text(text)
    found = views.from_compile_commands(tmp_path, [{"directory": str(tmp_path), "file": "mm.c",
                                                    "arguments": ["gcc", "-O2", "-c", "mm.c"]}])
    assert "mm.c" in found.views
    found.register()
    try:
        assert parse_file(tmp_path / "mm.c").raw is not None  # the analysis reads the view
        reps = {r.line: r for r in analyze_file(tmp_path / "mm.c", tmp_path)}
    finally:
        views.use({})
    assert b"i < 300" in found.views["mm.c"]  # the analysis read the view
    first = [c for c in reps[6].candidates if c.locality]
    second = [c for c in reps[12].candidates if c.locality]
    # the first nest may also be fused with the second: it writes rows i of C that only the same i of the second
    # reads, and reads rows i of A that only the same i of the second writes
    assert [c.locality for c in first] == ["tile", "interchange", "fusion", "tile", "tile"]
    assert all("distribute the loop j" in c.reason for c in first if c.locality != "fusion")
    assert [c.locality for c in second] == ["tile", "interchange", "tile", "tile"]
    for cand in first + second:
        new = cand.edits[0].new_text
        assert "< N" in new and "300" not in new and "(REAL)" in new, new
    assert all("/* scale first */" in c.edits[0].new_text for c in first)
    assert "kk < N; kk += 64" in second[0].edits[0].new_text


def test_a_reduction_loop_is_not_split_itself():
    # y accumulates over i (an array reduction): the j loop inside may be distributed and reordered, but the i
    # loop is not split over its parts, whose copies would each need the accumulation to be complete
    text = TEXTBOOK.replace("double A[N][N]", "double y[N], A[N][N]").replace("BODY", "y[j] += A[i][j];")
    reps = {r.line: r for r in analyze_source(parse(text.encode(), "c"), "mm.c")}
    assert reps[11].verdict == "reduction"
    assert [c.locality for c in reps[11].candidates if c.locality] == ["interchange"]


# TEXTBOOK's declarations and initialisation (lines 1-10), then a loop whose body is two loops
SPLIT = "\n".join(TEXTBOOK.split("\n")[:10]).replace("D[N][N];", "D[N][N], sum[N];") + """
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            C[i][j] *= 0.5;
        /* then the product, row by row */
        for (int k = 0; k < N; k++)
            for (int j = 0; j < N; j++)
                C[i][j] += 1.5 * A[i][k] * B[k][j];
    }
    SCRATCH
""" + TEXTBOOK[TEXTBOOK.index("    double s = 0.0;"):]  # and its checksum


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by .ci/setup")
def test_a_loop_holding_a_scaling_and_a_product_is_split_and_the_product_tiled(tmp_path: Path):
    """polybench's gemm: the i loop's body is the scaling loop and the k-j product; split over them (i carries no
    dependence), the product's copy is a perfect i-k-j band, fully permutable, and gets tiled, each copy under its
    own `parallel for`; the comment stays in front of the copy it described."""
    text = SPLIT.replace("SCRATCH", "")
    found = [c for c in rewrites_at(text, 11) if "distribute the loop i over the 2 loops it holds" in c.reason]
    assert [c.locality for c in found] == ["tile"] * 3, [c.reason for c in rewrites_at(text, 11)]
    assert [c.reason.split("tile 1 of them ")[1].split()[0] for c in found] == ["64", "32", "128"]
    first = found[0].edits[0].new_text
    assert found[0].edits[0].start_line == 11 and found[0].edits[0].end_line == 18
    assert first.count("#pragma omp parallel for") == 2 and "kk += 64" in first
    assert first.index("C[i][j] *= 0.5;") < first.index("/* then the product, row by row */") < first.index("kk")
    src = tmp_path / "mm.c"
    src.write_text(text)
    want, *got = outputs_with_edits(src, [[], *(c.edits for c in found)], tmp_path)
    assert got == [want] * 3
    # analysed as the compiler sees it (the preprocessor drops the comment, N is 150), rewritten as written
    from hpcagent.tools.loops import views
    from hpcagent.tools.loops.analysis import analyze_file

    seen = views.from_compile_commands(tmp_path, [{"directory": str(tmp_path), "file": "mm.c",
                                                   "arguments": ["gcc", "-O2", "-c", "mm.c"]}])
    seen.register()
    try:
        reps = {r.line: r for r in analyze_file(src, tmp_path)}
    finally:
        views.use({})
    assert b"i < 150" in seen.views["mm.c"] and b"row by row" not in seen.views["mm.c"]
    viewed = [c for c in reps[11].candidates if "distribute the loop i over the 2 loops it holds" in c.reason]
    assert [c.edits for c in viewed] == [c.edits for c in found]


def test_a_scratch_array_carried_between_the_parts_forbids_the_split():
    """doitgen's form: the first parts leave sum[] for the last part of the same iteration; split, the last loop
    would read only the last iteration's sums. The distribution test says so (whatever the loop's own verdict)."""
    scratch = ("for (int i = 0; i < N; i++) {\n"
               "        for (int p = 0; p < N; p++)\n"
               "            sum[p] = 0.0;\n"
               "        for (int p = 0; p < N; p++)\n"
               "            for (int s = 0; s < N; s++)\n"
               "                sum[p] += A[i][s] * B[s][p];\n"
               "        for (int p = 0; p < N; p++)\n"
               "            D[i][p] = sum[p];\n"
               "    }")
    from hpcagent.tools.loops.distribute import distribution_problem

    text = SPLIT.replace("SCRATCH", scratch)
    line = SPLIT.split("\n").index("    SCRATCH") + 1
    fa = FileAnalyzer(parse(text.encode(), "c"))
    loop = next(lp for lp in fa.loops if lp.line == line)
    parts = [c for c in loop.body.named_children if c.type != "comment"]
    assert distribution_problem(fa, loop, [[p] for p in parts]) == \
        "sum[p] in one iteration and sum[p] in a later one touch the same element"
    reps = {r.line: r for r in analyze_source(parse(text.encode(), "c"), "mm.c")}
    assert not any("distribute the loop i" in c.reason for c in reps[line].candidates)
    # the same with each part on its own array: nothing is carried, the split is offered
    own = scratch.replace("D[i][p] = sum[p];", "C[i][p] += D[i][p];").replace("sum[p]", "D[i][p]")
    text = SPLIT.replace("SCRATCH", own)
    reps = {r.line: r for r in analyze_source(parse(text.encode(), "c"), "mm.c")}
    split = [c for c in reps[line].candidates if "distribute the loop i over the 3 loops it holds" in c.reason]
    assert [c.locality for c in split] == ["tile"] * 3 and "tile 1 of them 64 per side" in split[0].reason
