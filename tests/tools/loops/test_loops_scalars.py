"""Scalar classification, reductions, aliasing, calls and early exits on small snippets."""

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse


def verdicts(code: str, lang: str = "c") -> dict[int, tuple[str, list[str], str]]:
    out: dict[int, tuple[str, list[str], str]] = {}
    for r in analyze_source(parse(code, lang), "t.c"):
        out.setdefault(r.line, (r.verdict, r.clauses, r.reason))  # the outermost loop of a line
    return out


def test_private_lastprivate_and_inner_index():
    code = """double a[5000], b[5000], c[100][100];
double f(int n) {
  double t, last = 0; int j;
  for (int i = 0; i < n; i++) { t = a[i] * 2; b[i] = t * t; }
  for (int i = 0; i < n; i++) { last = a[i]; b[i] = last; }
  for (int i = 0; i < 100; i++) for (j = 0; j < 100; j++) c[i][j] = 0;
  return last;
}
"""
    v = verdicts(code)
    assert v[4][:2] == ("parallel", ["private(t)"])
    assert v[5][:2] == ("parallel", ["lastprivate(last)"])
    assert v[6][0] == "parallel" and "private(j)" in v[6][1]


def test_reduction_patterns():
    code = """#include <math.h>
double a[5000];
void f(int n, double *out) {
  double s = 0, p = 1, mx = -1e9, mn = 1e9, m2 = 0, q = 0; int all = 1;
  for (int i = 0; i < n; i++) s = s + a[i];
  for (int i = 0; i < n; i++) p *= a[i];
  for (int i = 0; i < n; i++) if (a[i] > mx) mx = a[i];
  for (int i = 0; i < n; i++) mn = a[i] < mn ? a[i] : mn;
  for (int i = 0; i < n; i++) m2 = fmax(m2, a[i]);
  for (int i = 0; i < n; i++) all = all && (a[i] > 0);
  for (int i = 0; i < n; i++) { q += a[i]; a[i] = q; }
  out[0] = s + p + mx + mn + m2 + all + q;
}
"""
    v = verdicts(code)
    assert v[5][:2] == ("reduction", ["reduction(+:s)"])
    assert v[6][:2] == ("reduction", ["reduction(*:p)"])
    assert v[7][:2] == ("reduction", ["reduction(max:mx)"])
    assert v[8][:2] == ("reduction", ["reduction(min:mn)"])
    assert v[9][:2] == ("reduction", ["reduction(max:m2)"])
    assert v[10][:2] == ("reduction", ["reduction(&&:all)"])
    assert v[11][0] == "serial"  # a running sum read inside the loop is a prefix sum, not a reduction


def test_aliasing_pointer_params():
    code = """void f(double *a, double *b, int n) {
  for (int i = 0; i < n; i++) a[i] = b[i];
}
void g(double *restrict a, double *restrict b, int n) {
  for (int i = 0; i < n; i++) a[i] = b[i];
}
void h(double *a, int n) {
  double loc[100];
  for (int i = 0; i < 100; i++) loc[i] = a[i] * 2;
}
"""
    v = verdicts(code)
    assert v[2][0] == "unknown" and "alias" in v[2][2]
    assert v[5][0] == "parallel"
    assert v[9][0] == "parallel"


def test_calls_and_exits_and_io():
    code = """#include <stdio.h>
#include <stdlib.h>
double a[1000]; int hits;
static void count(void) { hits++; }
static double twice(double x) { return 2 * x; }
void f(int n) {
  for (int i = 0; i < n; i++) { if (a[i] < 0) break; a[i] = 1; }
  for (int i = 0; i < n; i++) { if (a[i] < 0) return; a[i] = 1; }
  for (int i = 0; i < n; i++) { a[i] = 1; count(); }
  for (int i = 0; i < n; i++) a[i] = twice(a[i]);
  for (int i = 0; i < n; i++) printf("%f", a[i]);
  for (int i = 0; i < n; i++) a[i] = rand();
  for (int i = 0; i < n; i++) { if (a[i] < 0) continue; a[i] = 2; }
}
"""
    v = verdicts(code)
    assert v[7][0] == "serial" and "break" in v[7][2]
    assert v[8][0] == "serial" and "return" in v[8][2]
    assert v[9][0] == "unknown" and "count" in v[9][2]
    assert v[10][0] == "parallel"
    assert v[11][0] == "serial" and "I/O" in v[11][2]
    assert v[12][0] == "serial" and "rand() keeps hidden state" in v[12][2]   # the schedule picks who gets what
    assert v[13][0] == "parallel"


def test_openmp_loops_are_left_alone_and_while_is_serial():
    code = """double a[1000];
void f(int n) {
#pragma omp parallel for
  for (int i = 0; i < n; i++) a[i] = 0;
#pragma omp parallel
  {
    for (int i = 0; i < n; i++) a[i] = 1;
  }
  int k = 0;
  while (k < n) { a[k] = 2; k++; }
}
"""
    v = verdicts(code)
    assert v[4][0] == "unknown" and "left alone" in v[4][2]
    assert v[7][0] == "unknown" and "left alone" in v[7][2]
    assert v[10][0] == "serial" and "canonical" in v[10][2]


def test_cpp_range_for():
    code = """#include <vector>
double f(std::vector<double> &v) {
  double s = 0;
  for (auto &x : v) x *= 2;
  for (double x : v) s += x;
  for (auto &x : v) v[0] += x;
  return s;
}
"""
    v = verdicts(code, "cpp")
    assert v[4][0] == "parallel"
    assert v[5][:2] == ("reduction", ["reduction(+:s)"])
    assert v[6][0] != "parallel"


def test_code_that_does_not_preprocess_still_parses():
    code = """#include "missing.h"
FOO_DECL(int) bar;
void f(REAL *restrict a, int n) {
  MY_MACRO(a);
  for (int i = 0; i < n; i++) a[i] = SCALE(a[i]);
}
"""
    v = verdicts(code)
    assert 5 in v and v[5][0] == "unknown"  # SCALE is an unknown call


def test_call_sites_prove_pointer_params_distinct():
    code = """#include <stdlib.h>
static void kernel(double *a, double *b, int n) {
  for (int i = 0; i < n; i++) a[i] = b[i] * 2;
}
static void kernel2(double *a, double *b, int n) {
  for (int i = 0; i < n; i++) a[i] = b[i] * 2;
}
int main(void) {
  double *x = malloc(100 * sizeof(double)), y[100];
  kernel(x, y, 100);
  kernel2(x, y, 100);
  kernel2(x, x + 1, 99);
  return 0;
}
"""
    v = verdicts(code)
    assert v[3][0] == "parallel"  # every call passes two different fresh/declared arrays
    assert v[6][0] == "unknown"  # one call passes overlapping pointers


def test_pointer_set_inside_the_loop_is_not_trusted():
    code = """double a[1000];
void f(int n) {
  for (int i = 0; i < n; i++) { double *p = a + i; p[0] = p[1] + 1; }
  for (int i = 0; i < n; i++) { double tmp[4]; tmp[0] = a[i]; a[i] = tmp[0] * 2; }
  for (int i = 0; i < n; i++) { double *p = a + i; p++; *p = 1; }
}
"""
    v = verdicts(code)
    # a row pointer p = a + i is followed into a: p[0] = p[1] + 1 is a[i] = a[i + 1] + 1
    assert v[3][0] == "serial" and "distance 1" in v[3][2]
    assert v[4][0] == "parallel"  # an array declared in the body is private to each iteration
    assert v[5][0] == "unknown" and "set inside the loop" in v[5][2]  # p moves: not a fixed row pointer


def test_a_bool_flag_set_in_some_iterations_is_an_or_or_and_reduction_and_an_int_flag_is_not():
    code = """#include <stdbool.h>
void f(int n, const int *restrict mask, int *restrict vis, bool *out) {
  bool stop = false, all = true; int seen = 0; bool mixed = false;
  for (int i = 0; i < n; i++) { if (mask[i]) { vis[i] = 1; stop = true; } }
  for (int i = 0; i < n; i++) if (!mask[i]) all = false;
  for (int i = 0; i < n; i++) if (mask[i]) seen = 1;
  for (int i = 0; i < n; i++) { if (mask[i]) mixed = true; if (vis[i]) mixed = false; }
  out[0] = stop && all && seen && mixed;
}
"""
    v = verdicts(code)
    assert v[4][:2] == ("reduction", ["reduction(||:stop)"])
    assert v[5][:2] == ("reduction", ["reduction(&&:all)"])
    assert v[6][0] == "serial" and "seen is written in only some iterations" in v[6][2]  # 5 || false is 1, not 5
    assert v[7][0] == "serial"  # set to true in one iteration and false in another: the last one wins
    cxx = verdicts("void g(int n, const int *m) { bool any = false;\n"
                   "  for (int i = 0; i < n; i++) if (m[i] > 2) any = true;\n  if (any) n = 0; }", "cpp")
    assert cxx[2][:2] == ("reduction", ["reduction(||:any)"])


def test_the_flag_reduction_gives_the_serial_result_built_and_run(tmp_path):
    import subprocess

    code = """#include <stdbool.h>
#include <stdio.h>
int main(void) {
  static int mask[100000], vis[100000];
  for (int i = 0; i < 100000; i++) mask[i] = (i % 7919) == 0;
  bool stop = false, none = false, all = true;
  for (int i = 0; i < 100000; i++) { if (mask[i]) { vis[i] = 1; stop = true; } }
  for (int i = 0; i < 100000; i++) { if (mask[i] > 1) none = true; }
  for (int i = 0; i < 100000; i++) if (!mask[i]) all = false;
  printf("%d %d %d %d\\n", stop, none, all, vis[7919]);
  return 0;
}
"""
    clauses = {line: c for line, (_, c, _) in verdicts(code).items()}
    assert clauses[7] == ["reduction(||:stop)"] and clauses[8] == ["reduction(||:none)"]
    lines = code.splitlines(keepends=True)
    for line in (9, 8, 7):  # the analysis's own pragmas inserted, bottom up
        lines.insert(line - 1, f"#pragma omp parallel for {' '.join(clauses[line])}\n")
    (tmp_path / "f.c").write_text("".join(lines))
    subprocess.run(["gcc", "-O2", "-fopenmp", str(tmp_path / "f.c"), "-o", str(tmp_path / "f")], check=True)
    for threads in ("1", "3"):
        out = subprocess.run([str(tmp_path / "f")], capture_output=True, text=True, env={"OMP_NUM_THREADS": threads})
        assert out.stdout == "1 0 0 1\n"


def test_cxx_stream_reads_and_writes_are_io():
    code = """#include <fstream>
void dump(const float *v, int n, float *a, std::ifstream &in) {
  std::ofstream file("out");
  for (int i = 0; i < n; i++) { file << v[i] << " "; file << std::endl; }
  for (int i = 0; i < n; i++) in >> a[i];
  for (int i = 0; i < n; i++) a[i] = (int)v[i] << 2;
}
"""
    v = verdicts(code, "cpp")
    assert v[4][0] == "serial" and v[4][2].startswith("I/O (stream << at line 4)"), v[4]
    assert v[5][0] == "serial" and "stream >>" in v[5][2]
    assert "I/O" not in v[6][2]  # a shift whose value is used is a shift (here: v and a may alias)
