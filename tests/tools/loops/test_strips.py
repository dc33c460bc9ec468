"""Blocked loops as real codes write them: strips of a fixed width with the last one cut at n (cfd's element
blocks), and a wavefront of blocks whose loops inside one block run a few iterations (nw)."""

from __future__ import annotations

import subprocess

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.patch import apply_to_text


def verdicts(code: str) -> dict[int, tuple[str, str]]:
    return {r.line: (r.verdict, r.reason) for r in analyze_source(parse(code), "x.c")}


STRIPS = """#include <stdio.h>
static void scale(int n, float *a, const float *b) {
  for (int blk = 0; blk < (n + 63) / 64; ++blk) {
    int b_start = blk * 64;
    int b_end = (blk + 1) * 64 > n ? n : (blk + 1) * 64;
    for (int i = b_start; i < b_end; ++i)
      a[i] = 2 * b[i] + 1;
  }
}
int main(void) {
  static float a[10000], b[10000];
  for (int i = 0; i < 10000; i++) b[i] = i % 7;
  scale(9999, a, b);
  double s = 0;
  for (int i = 0; i < 10000; i++) s += a[i] * (i % 3);
  printf("%.1f\\n", s);
  return 0;
}
"""


def test_a_strip_mined_loop_offers_its_block_loop_first(tmp_path):
    """`for (i = b_start; i < b_end; ...)` with b_start = blk * 64 and b_end the smaller of (blk + 1) * 64 and n:
    each block's strip is its own. The block loop is offered before the strip (a team per strip would be forked
    once per block), unproven only because a and b may alias; with restrict pointers it is proven."""
    rep = {r.line: r for r in analyze_source(parse(STRIPS), "s.c")}
    assert rep[3].verdict == "parallel" and rep[3].candidates[0].line == 3  # distinct arrays at its one call
    aliased = STRIPS.replace("  scale(9999, a, b);", "  scale(9999, a, b);\n  scale(5000, a + 1, a);")
    unproven = {r.line: r for r in analyze_source(parse(aliased), "s.c")}[3]
    assert [(c.line, c.proof) for c in unproven.candidates] == [(3, "unproven"), (6, "unproven")]
    assert unproven.reason == "a and b may alias (pointers without restrict)"
    restricted = STRIPS.replace("float *a, const float *b", "float *restrict a, const float *restrict b")
    assert verdicts(restricted)[3][0] == "parallel"
    # a strip that runs past its block (b_end = (blk + 2) * 64 ...) overlaps the next block's: not proven
    overlapping = restricted.replace("int b_end = (blk + 1) * 64 > n ? n : (blk + 1) * 64;",
                                     "int b_end = (blk + 2) * 64 > n ? n : (blk + 2) * 64;")
    assert verdicts(overlapping)[3][0] != "parallel"
    exe = []
    for name, code in (("plain", STRIPS), ("blocks", apply_to_text(STRIPS, rep[3].candidates[0].edits))):
        (tmp_path / f"{name}.c").write_text(code)
        subprocess.run(["gcc", "-O2", "-fopenmp", str(tmp_path / f"{name}.c"), "-o", str(tmp_path / name)], check=True)
        exe.append(subprocess.run([str(tmp_path / name)], check=True, capture_output=True, text=True,
                                  env={"OMP_NUM_THREADS": "3"}).stdout)
    assert exe[0] == exe[1] and exe[0].strip()


BLOCKED = """void wave(int *a, int nb, int w) {
  for (int d = 1; d <= nb; d++) {
    for (int bx = 0; bx < d; bx++) {
      int by = d - 1 - bx;
      int loc[16 * 16];
      for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
          loc[i * 16 + j] = a[(by * 16 + i + 1) * w + bx * 16 + j + 1];
      for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
          a[(by * 16 + i + 1) * w + bx * 16 + j + 1] = loc[i * 16 + j] + a[(by * 16 + i) * w + bx * 16 + j];
    }
  }
}
"""


def test_a_blocked_wavefront_offers_its_block_loop_before_the_loops_of_one_block():
    """Rodinia nw's shape: the diagonal loop d is carried, its block loop bx is left unproven (non-affine block
    offsets), and the loops inside one block run 16 iterations. A team on a 16-iteration loop is forked once per
    block: the block loop's own candidate comes before them."""
    rep = {r.line: r for r in analyze_source(parse(BLOCKED), "w.c")}
    lines = [c.line for c in rep[2].candidates]
    assert 3 in lines and all(lines.index(3) < lines.index(k) for k in (6, 9) if k in lines), lines


def test_after_a_wrong_result_no_other_form_of_that_loop_is_proposed(tmp_path):
    """srad_v1 on the Rodinia dev set: its ROI sum's reduction changed one pixel, and the next attempt was the same
    reduction with `omp simd` added. The critic names the loop, the planner skips its other forms."""
    from hpcagent.agent.critics.rules import RuleCritic
    from hpcagent.agent.planners.analysis import AnalysisPlanner
    from hpcagent.agent.protocols import PlanContext
    from hpcagent.evidence import Evidence
    from hpcagent.records import Attempt, LoopTarget

    (tmp_path / "t.c").write_text("""void tri(int n, double a[][512], double b[][512]) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j <= i; j++)
      a[i][j] = b[i][j] * 2 + a[i][j];
}
""")
    target = LoopTarget("t.c", 2, 4, "tri", verdict="unknown")
    planner, ctx = AnalysisPlanner(), PlanContext(tmp_path)
    first = planner.propose(target, ctx, [])
    assert first.line == 2 and "schedule(dynamic)" in first.pragma  # other schedules of line 2 follow it
    verdict = RuleCritic().review(target, first, Evidence(stage="output", error="line 1: expected 4, got 5"), [])
    assert verdict.action == "repair" and verdict.feedback.data["skip_line"] == 2
    after = planner.propose(target, ctx, [Attempt(1, first, Evidence(stage="output"), verdict)])
    assert after is not None and after.line == 3, after


def test_after_a_reduction_changed_the_result_no_loop_reducing_the_same_sum_is_proposed(tmp_path):
    """srad_v1 again: after its ROI sum at the outer level, the planner offered the same sum at the inner level,
    which reorders the same additions. A reduction that changed the result names its variables."""
    from hpcagent.agent.critics.rules import RuleCritic
    from hpcagent.agent.planners.analysis import AnalysisPlanner
    from hpcagent.agent.protocols import PlanContext
    from hpcagent.evidence import Evidence
    from hpcagent.records import Attempt, LoopTarget

    (tmp_path / "s.c").write_text("""double total(int n, double a[][256]) {
  double s = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      s += a[i][j];
  return s;
}
""")
    target = LoopTarget("s.c", 3, 5, "total", verdict="reduction")
    planner, ctx = AnalysisPlanner(), PlanContext(tmp_path)
    first = planner.propose(target, ctx, [])
    assert first.line == 3 and "reduction(+:s)" in first.pragma
    verdict = RuleCritic().review(target, first, Evidence(stage="output", error="line 1: expected 4.5, got 4.6"), [])
    assert verdict.feedback.data["skip_reductions"] == ["s"]
    assert planner.propose(target, ctx, [Attempt(1, first, Evidence(stage="output"), verdict)]) is None
    # a wrong result that was not a reduction's: the inner loop is still offered
    plain = Attempt(1, first, Evidence(stage="output"), RuleCritic().review(
        target, first.__class__(**{**first.to_dict(), "pragma": "#pragma omp parallel for", "edits": []}),
        Evidence(stage="output", error="x"), []))
    after = planner.propose(target, ctx, [plain])
    assert after is not None and after.line == 4


def test_a_step_of_several_sweeps_offers_the_sweeps_before_itself():
    """srad_v1's iteration loop: two sweeps in sequence, each left unproven by possible aliasing. They come before
    any candidate of the loop around them, which carries what one step hands to the next."""
    code = """void steps(int n, int steps, int s, double *a, double *b) {
  for (int t = 0; t < steps; t++) {
    for (int i = 1; i < n - 1; i++)
      b[i * s] = (a[i * s - s] + a[i * s + s]) * 0.5;
    for (int i = 1; i < n - 1; i++)
      a[i * s] = b[i * s] + 1.0;
  }
}
"""
    cands = {r.line: r for r in analyze_source(parse(code), "t.c")}[2].candidates
    assert [(c.line, c.proof) for c in cands] == [(3, "unproven"), (5, "unproven"), (2, "unproven")]
