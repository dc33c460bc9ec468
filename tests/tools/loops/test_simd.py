"""`omp simd` candidates from the compiler's own vectorization report (tools/loops/vectorizer.py, tools/loops/simd.py):
what the report says of each loop, which loops get the directive, and that the changed programs compute what the
originals do. The reports here are those gcc 12 and clang 16 printed for ROWS (compiled on this machine, -O3)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hpcagent.tools.loops import vectorizer
from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.patch import apply_to_text

ROWS = """#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#define N 600
double a[N][N], x[N], y[N];
double dot(const double *restrict u, const double *restrict v, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += u[i] * v[i];
    return s;
}
void rows(int reps)
{
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < N; i++) {
            double s = 0.0;
            for (int j = 0; j < N; j++)
                s += a[i][j] * x[j];
            y[i] = s / reps;
        }
}
void scale(double *restrict u, int n)
{
    for (int i = 0; i < n; i++)
        u[i] = 2.0 * u[i];
}
void norms(void)
{
    for (int i = 0; i < N; i++) {
        double s = 0.0;
        for (int j = 0; j < N; j++)
            s += fabs(a[i][j]) + rand() % 2;
        y[i] = s;
    }
}
int main(void)
{
    for (int i = 0; i < N; i++) {
        x[i] = (i % 7) * 0.25;
        for (int j = 0; j < N; j++)
            a[i][j] = ((i + 3 * j) % 11) * 0.125;
    }
    rows(20);
    scale(y, N);
    printf("%.15e %.15e\\n", dot(y, x, N), y[N / 2]);
    return 0;
}
"""
DOT, OUTER, INNER, SCALE, NORMS, NORMS_INNER = 9, 16, 18, 25, 30, 32

GCC_DUMP = """k.c:9:23: note:   using an in-order (fold-left) reduction.
k.c:9:23: note:   using an in-order (fold-left) reduction.
k.c:9:23: optimized: loop vectorized using 16 byte vectors
k.c:15:23: missed: couldn't vectorize loop
k.c:16:27: missed: couldn't vectorize loop
k.c:18:31: note:   using an in-order (fold-left) reduction.
k.c:18:31: optimized: loop vectorized using 16 byte vectors
k.c:25:23: optimized: loop vectorized using 16 byte vectors
k.c:30:23: missed: couldn't vectorize loop
k.c:32:27: missed: couldn't vectorize loop
k.c:9:23: note:   using an in-order (fold-left) reduction.
k.c:9:23: optimized: loop vectorized using 16 byte vectors
k.c:25:23: optimized: loop vectorized using 16 byte vectors
k.c:39:23: missed: couldn't vectorize loop
k.c:41:27: optimized: loop vectorized using 16 byte vectors
"""
CLANG_REMARKS = """k.c:9:5: remark: loop not vectorized [-Rpass-missed=loop-vectorize]
k.c:18:13: remark: loop not vectorized [-Rpass-missed=loop-vectorize]
k.c:25:5: remark: vectorized loop (vectorization width: 2, interleaved count: 2) [-Rpass=loop-vectorize]
k.c:32:9: remark: loop not vectorized [-Rpass-missed=loop-vectorize]
k.c:41:9: remark: vectorized loop (vectorization width: 2, interleaved count: 1) [-Rpass=loop-vectorize]
k.c:18:13: remark: loop not vectorized [-Rpass-missed=loop-vectorize]
k.c:25:5: remark: vectorized loop (vectorization width: 2, interleaved count: 2) [-Rpass=loop-vectorize]
k.c:9:5: remark: loop not vectorized [-Rpass-missed=loop-vectorize]
"""


@pytest.fixture(autouse=True)
def no_report_left():
    yield
    vectorizer.use({})


def test_the_report_says_which_loops_stayed_scalar():
    gcc = vectorizer.parse_report(GCC_DUMP, "/src")["/src/k.c"]
    # a vectorized loop whose sum gcc kept in order is still one add after another
    assert gcc == {DOT: "in-order", 15: "missed", OUTER: "missed", INNER: "in-order", SCALE: "vectorized",
                   NORMS: "missed", NORMS_INNER: "missed", 39: "missed", 41: "vectorized"}
    clang = vectorizer.parse_report(CLANG_REMARKS, "/src")["/src/k.c"]
    assert clang == {DOT: "missed", INNER: "missed", SCALE: "vectorized", NORMS_INNER: "missed", 41: "vectorized"}
    # an epilogue or a second version reported missed does not hide that the loop was vectorized
    assert vectorizer.parse_report("k.c:7:1: optimized: loop vectorized using 16 byte vectors\n"
                                   "k.c:7:1: missed: couldn't vectorize loop\n", "/src") == {"/src/k.c": {7: "vectorized"}}
    # what the sandbox keeps of a compile's output (VERDICT_LINES): these lines, and nothing of the rest
    noise = "k.c:9:23: note: vect_is_simple_use: operand _1\nk.c: In function 'dot':\nwarning: unused\n"
    kept = [ln for ln in (noise + GCC_DUMP + CLANG_REMARKS).splitlines() if re.search(vectorizer.VERDICT_LINES, ln)]
    assert kept == (GCC_DUMP + CLANG_REMARKS).splitlines()


def test_the_report_command_is_the_logged_compile_writing_nothing():
    logged = ["/usr/bin/gcc", "-O2", "-DN=5", "-Iinc", "-c", "k.c", "-o", "k.o", "-MD", "-MF", "k.d"]
    argv = vectorizer.report_argv(logged, "k.c")
    assert argv is not None and argv[:4] == ["/usr/bin/gcc", "-O2", "-DN=5", "-Iinc"] and "k.o" not in argv
    assert argv[-4:] == ["-fdump-tree-vect-details=/dev/stdout", "-c", "-o", "/dev/null"] and "k.c" in argv
    clang = vectorizer.report_argv(["clang-16", "-O3", "a.c", "k.c", "-o", "app", "-lm"], "k.c")
    assert clang is not None and "a.c" not in clang and "-lm" not in clang and "-Rpass-missed=loop-vectorize" in clang
    assert vectorizer.report_argv(["icx", "-O3", "-c", "k.c"], "k.c") is None  # a report this module cannot read


def candidates(report: str) -> dict[int, list]:
    lines = vectorizer.parse_report(report, "/src")["/src/k.c"]
    vectorizer.use({ROWS.encode(): lines})
    return {r.line: [c for c in r.candidates if c.locality == "simd"] for r in analyze_source(parse(ROWS), "k.c")}


@pytest.mark.parametrize("report", [GCC_DUMP, CLANG_REMARKS], ids=["gcc", "clang"])
def test_simd_only_where_the_compiler_left_a_proven_loop_scalar(report):
    got = candidates(report)
    # the innermost parallel loop itself: parallel for simd with its reduction
    assert [c.pragma for c in got[DOT]] == ["#pragma omp parallel for simd reduction(+:s)"]
    # a nest: the top parallel for of the loop, omp simd (with the reduction) on its inner loop
    (nest,) = got[OUTER]
    texts = [(e.start_line, e.new_text.strip()) for e in nest.edits]
    assert texts == [(OUTER, "#pragma omp parallel for"), (INNER, "#pragma omp simd reduction(+:s)")]
    assert nest.kind == "rewrite" and nest.proof == "static" and "did not vectorize" in nest.reason
    # vectorized by the compiler: nothing to add; a call to rand() (hidden state): never simd, whatever the report
    assert got[SCALE] == [] and got[NORMS] == [] and got.get(NORMS_INNER, []) == []
    # without a report (another file's bytes), no candidate at all
    vectorizer.use({b"another file": {DOT: "missed"}})
    assert not any(c.locality == "simd" for r in analyze_source(parse(ROWS), "k.c") for c in r.candidates)


def test_the_simd_forms_compute_what_the_original_does(tmp_path: Path):
    got = candidates(GCC_DUMP)
    edits = [e for line in (DOT, OUTER) for e in got[line][0].edits]
    changed = apply_to_text(ROWS, edits)
    assert changed.count("#pragma omp") == 3
    assert shutil.which("gcc"), "gcc is not installed"
    outs = []
    for name, text in (("plain.c", ROWS), ("simd.c", changed)):
        (tmp_path / name).write_text(text)
        exe = tmp_path / (name + ".bin")
        subprocess.run(["gcc", "-O3", "-fopenmp", str(tmp_path / name), "-o", str(exe), "-lm"], check=True,
                       timeout=120)
        outs.append(subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=60,
                                   env={"OMP_NUM_THREADS": "2"}).stdout.split())
    # a reordered sum: equal within a relative 1e-12 (the default output tolerance is 1e-6)
    assert len(outs[0]) == 2 and all(abs(float(p) - float(s)) <= 1e-12 * abs(float(s)) for p, s in zip(*outs))


def test_the_report_is_of_the_flags_the_timed_build_uses():
    """The profile build appends -O2 -g ... to every compile; the timed builds append -O3. At -O2 gcc 12 leaves
    loops scalar that -O3 vectorizes, so the report's compile swaps the one for the other."""
    from hpcagent.agent.run.compiles import as_timed

    logged = "gcc -O3 -o heat heat.c -lm -O2 -g -fno-omit-frame-pointer -fopenmp -fopenmp".split()
    assert as_timed(logged, "-O2 -g -fno-omit-frame-pointer -fopenmp", "-O3 -fopenmp") == \
        "gcc -O3 -o heat heat.c -lm -O3 -fopenmp -fopenmp".split()
    assert as_timed(["gcc", "-O3", "-c", "a.c"], "-O2 -g", "-O3") == ["gcc", "-O3", "-c", "a.c"]
