"""Scratch-array privatization: a work array that every iteration fills before reading it becomes a local array
declared in the loop body (tools/loops/privatize.py), proven for local storage and unproven for a parameter."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import REPO

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.loops.privatize import read_after, scratch_array
from hpcagent.tools.loops.verdict import FileAnalyzer
from hpcagent.tools.patch import apply_to_text

HEAD = """#include <stdio.h>
#include <stdlib.h>
#define N 64
#define M 400
static double a[M][N], b[M][N];
"""

# the loop under test is always at line LOOP
LOCAL = HEAD + """void kernel(void)
{
    double t[N];
    for (int i = 0; i < M; i++) {
BODY
    }
AFTER
}
"""
LOOP = 9

FILL = """        for (int p = 0; p < N; p++)
            t[p] = a[i][p] * 2.0;"""
USE = """        for (int p = 1; p < N - 1; p++)
            b[i][p] = t[p - 1] + t[p] + t[p + 1];"""

# doitgen's shape: the scratch is a pointer parameter, the caller passes a fresh allocation
PARAM = """#include <stdio.h>
#include <stdlib.h>
#define NR 6
#define NQ 40
#define NP 24
static void kernel(double A[NR][NQ][NP], double C4[NP][NP], double *sum)
{
    for (int r = 0; r < NR; r++)
        for (int q = 0; q < NQ; q++) {
            for (int p = 0; p < NP; p++)
                sum[p] = 0.0;
            for (int s = 0; s < NP; s++)
                for (int p = 0; p < NP; p++)
                    sum[p] += A[r][q][s] * C4[s][p];
            for (int p = 0; p < NP; p++)
                A[r][q][p] = sum[p];
        }
}
int main(void)
{
    double (*A)[NQ][NP] = malloc(sizeof(double[NR][NQ][NP]));
    double (*C4)[NP] = malloc(sizeof(double[NP][NP]));
    double *sum = malloc(NP * sizeof *sum);
    if (!A || !C4 || !sum)
        return 2;
    for (int r = 0; r < NR; r++)
        for (int q = 0; q < NQ; q++)
            for (int p = 0; p < NP; p++)
                A[r][q][p] = (double)((r * q + p) % NP) / NP;
    for (int i = 0; i < NP; i++)
        for (int j = 0; j < NP; j++)
            C4[i][j] = (double)(i * j % NP) / NP;
    kernel(A, C4, sum);
    double total = 0.0;
    for (int r = 0; r < NR; r++)
        for (int q = 0; q < NQ; q++)
            for (int p = 0; p < NP; p++)
                total += A[r][q][p];
    printf("%.12e\\n", total);
    free(A);
    free(C4);
    free(sum);
    return 0;
}
"""

# a local malloc'd scratch row, freed after the loop: proven
MALLOC = """#include <stdio.h>
#include <stdlib.h>
#define N 64
#define M 300
static double a[M][N], b[M][N];
static void kernel(void)
{
    double *t = malloc(N * sizeof *t);
    if (!t)
        return;
    for (int i = 0; i < M; i++) {
        for (int k = 0; k < N; k++)
            t[k] = a[i][k] * a[i][k];
        for (int rep = 0; rep < 3; rep++)
            for (int k = 1; k < N - 1; k++)
                t[k] = 0.5 * t[k] + 0.25 * (t[k - 1] + t[k + 1]);
        for (int k = 0; k < N; k++)
            b[i][k] = t[k] + t[N - 1 - k];
    }
    free(t);
}
int main(void)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            a[i][j] = (double)((i * 31 + j * 7) % 19) / 19.0;
    kernel();
    double s = 0.0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            s += b[i][j] * (1 + (i + j) % 5);
    printf("%.12e\\n", s);
    return 0;
}
"""
MALLOC_LOOP = 11


def reports(text: str) -> dict:
    return {r.line: r for r in analyze_source(parse(text.encode(), "c"), "t.c")}


def privatized(text: str, line: int):
    found = [c for c in reports(text)[line].candidates if c.line == line and "privatized" in c.reason]
    assert len(found) <= 1
    return found[0] if found else None


def scratch_of(text: str, line: int, name: str = "t"):
    """The scratch rule alone (without the other issues of the loop) and whether name is read after the loop."""
    src = parse(text.encode(), "c")
    fa = FileAnalyzer(src)
    loop = next(lp for lp in fa.loops if lp.line == line)
    facts = fa.analyze(loop).body
    return scratch_array(src, loop, facts, fa.symbols(loop), name, fa.effects), read_after(src, loop, name)


def local(body: str, after: str = "") -> str:
    return LOCAL.replace("BODY", body).replace("AFTER", after)


def test_local_array_scratch_is_proven_and_declared_in_the_body():
    text = local(f"{FILL}\n{USE}")
    rep = reports(text)[LOOP]
    assert rep.verdict == "serial"  # the loop as written keeps its verdict
    cand = privatized(text, LOOP)
    assert cand is not None and cand.proof == "static" and cand.kind == "rewrite"
    assert cand.pragma == "#pragma omp parallel for"
    assert [(e.start_line, e.end_line, e.new_text) for e in cand.edits] == [
        (LOOP, LOOP - 1, "    #pragma omp parallel for\n"), (LOOP + 1, LOOP, "        double t[N];\n")]
    new = apply_to_text(text, cand.edits)
    assert "    #pragma omp parallel for\n    for (int i = 0; i < M; i++) {\n        double t[N];\n" in new


def test_parameter_scratch_is_unproven_with_the_obstacle():
    rep = reports(PARAM)
    assert rep[8].verdict == "serial" and privatized(PARAM, 8) is None  # the r loop's body is not a block
    cand = privatized(PARAM, 9)
    assert rep[9].verdict == "serial"
    assert cand is not None and cand.proof == "unproven"
    assert "sum's contents after the loop change (it becomes a per-thread local array)" in cand.reason
    assert rep[9].unproven == "#pragma omp parallel for" and "sum's contents" in rep[9].obstacle
    assert [e.new_text for e in cand.edits] == ["        #pragma omp parallel for\n", "            double sum[NP];\n"]


def test_static_local_scratch_is_unproven():
    # a static local outlives the call: the next call could read what the loop left in it
    text = local(f"{FILL}\n{USE}").replace("    double t[N];", "    static double t[N];")
    cand = privatized(text, LOOP)
    assert cand is not None and cand.proof == "unproven" and "t's contents after the loop change" in cand.reason


def test_global_scratch_is_unproven():
    text = local(f"{FILL}\n{USE}").replace("    double t[N];", "    (void)0;").replace(
        "static double a[M][N], b[M][N];", "static double a[M][N], b[M][N], t[N];")
    cand = privatized(text, LOOP)
    assert cand is not None and cand.proof == "unproven"


def test_conditional_free_after_the_loop_keeps_it_live():
    text = MALLOC.replace("    free(t);\n}", "    if (b[0][0] > 0)\n        free(t);\n    else\n        b[0][1] = t[1];\n}")
    assert "else\n        b[0][1] = t[1];" in text
    assert privatized(text, MALLOC_LOOP) is None


def test_malloc_scratch_is_proven():
    cand = privatized(MALLOC, MALLOC_LOOP)
    assert cand is not None and cand.proof == "static"
    assert cand.edits[1].new_text == "        double t[N];\n"


@pytest.mark.parametrize("body,after", [
    # a read of t before the loop that fills it: the value comes from the previous iteration
    (f"        b[i][0] = t[0];\n{FILL}\n{USE}", ""),
    # the fill is conditional
    ("        for (int p = 0; p < N; p++)\n            if (a[i][p] > 0.5)\n                t[p] = a[i][p];\n"
     + USE, ""),
    # the fill covers fewer elements than the reads
    ("        for (int p = 0; p < N - 2; p++)\n            t[p] = a[i][p];\n" + USE, ""),
    # every other element only
    ("        for (int p = 0; p < N / 2; p++)\n            t[2 * p] = a[i][p];\n" + USE, ""),
    # the fill reads the scratch itself
    ("        for (int p = 0; p < N; p++)\n            t[p] = t[N - 1 - p] + a[i][p];\n" + USE, ""),
    # the fill stops early
    ("        for (int p = 0; p < N; p++) {\n            if (a[i][p] < 0) break;\n            t[p] = a[i][p];\n"
     "        }\n" + USE, ""),
    # a second write in the fill loop reaches past the range the first one covers
    ("        for (int p = 0; p < N - 1; p++) {\n            t[p] = a[i][p];\n            t[p + 1] = 1.0;\n        }\n"
     + USE, ""),
    # the scratch is read after the loop
    (f"{FILL}\n{USE}", "    b[0][0] = t[3];"),
], ids=["read-first", "conditional-fill", "smaller-fill", "strided-fill", "fill-reads-it", "fill-breaks",
        "write-beyond", "read-after"])
def test_not_scratch(body, after):
    text = local(body, after)
    assert reports(text)[LOOP].verdict in ("serial", "unknown")
    assert privatized(text, LOOP) is None
    found, later = scratch_of(text, LOOP)
    assert (found is None) != later  # exactly one of the two rules is what rejects it


def test_scratch_passed_to_a_call_is_not_privatized():
    text = local(f"{FILL}\n        b[i][0] = first(t);\n{USE}").replace(
        "void kernel", "static double first(const double *v) { return v[0]; }\nvoid kernel")
    line = LOOP + 1
    assert "for (int i" in text.splitlines()[line - 1]
    assert privatized(text, line) is None
    assert scratch_of(text, line)[0] is None
    assert scratch_of(local(f"{FILL}\n{USE}"), LOOP)[0] is not None


def test_size_unknown_is_not_privatized():
    text = local(f"{FILL}\n{USE}").replace("void kernel(void)", "void kernel(int n)").replace(
        "double t[N];", "double t[4096];").replace("p < N", "p < n")
    assert "p < n;" in text
    assert privatized(text, LOOP) is None and scratch_of(text, LOOP)[0] is None


def test_code_after_the_opening_brace_gets_none():
    text = local(f"{FILL}\n{USE}")
    assert privatized(text, LOOP) is not None
    squeezed = text.replace("for (int i = 0; i < M; i++) {\n", "for (int i = 0; i < M; i++) { b[i][0] = 1;\n")
    assert privatized(squeezed, LOOP) is None


@pytest.mark.parametrize("compiler", ["gcc", "clang-16"])
def test_privatized_variant_compiles_and_matches_serial(tmp_path, compiler):
    assert shutil.which(compiler), f"{compiler} is not installed"
    outputs = []
    for name, text in (("param", PARAM), ("malloc", MALLOC)):
        cand = privatized(text, 9 if name == "param" else MALLOC_LOOP)
        assert cand is not None
        serial, omp = tmp_path / f"{name}.c", tmp_path / f"{name}_omp.c"
        serial.write_text(text)
        omp.write_text(apply_to_text(text, cand.edits))
        runs = []
        for src, flags in ((serial, []), (omp, ["-fopenmp"])):
            exe = src.with_suffix("")
            subprocess.run([compiler, "-O1", *flags, str(src), "-o", str(exe)], check=True, timeout=120)
            res = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60,
                                 env={**os.environ, "OMP_NUM_THREADS": "4"}, check=True)
            runs.append(res.stdout)
        assert runs[0] and runs[0] == runs[1], (name, runs)
        outputs.append(runs[0])
    assert len(outputs) == 2


def test_planner_offers_the_privatized_scratch_before_the_inner_levels(tmp_path):
    """doitgen: the q loop is serial because of its scratch; its first proposal is the privatized loop itself, not the
    inner s loop (which would open a thread team per (r, q) and was measured slower)."""

    from hpcagent.agent.planners.analysis import AnalysisPlanner
    from hpcagent.agent.protocols import PlanContext
    from hpcagent.records import LoopTarget

    kernel = REPO / "bench" / "kernels" / "doitgen" / "doitgen.c"
    shutil.copy(kernel, tmp_path / "doitgen.c")
    lines = kernel.read_text().splitlines()
    start = next(n for n, text in enumerate(lines, 1) if text.startswith("static void kernel_doitgen"))
    line = next(n for n, text in enumerate(lines, 1) if n > start and "for (int q = 0;" in text)
    first = AnalysisPlanner().propose(LoopTarget("doitgen.c", line, line + 8, verdict="serial"), PlanContext(tmp_path), [])
    assert first is not None and first.line == line and first.kind == "rewrite" and first.proof == "unproven"
    assert any("double sum[NP];" in e.new_text for e in first.edits)
    assert AnalysisPlanner(unproven=False).propose(LoopTarget("doitgen.c", line, line + 8), PlanContext(tmp_path),
                                                   []).proof == "static"
