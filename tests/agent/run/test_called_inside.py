"""A loop whose time is spent in calls made from another target's body (RSBench's per-nuclide loop under its loop
over particle histories): the profile's call stacks say so, and once the outer loop's parallel change is accepted
the inner loop is not tried (its pragma would open a nested team) and an inner change accepted earlier is not
applied on top of it. Without stacks nothing is marked."""

from __future__ import annotations

from pathlib import Path

from test_group_runs import TreeLab, accepted, no_log, passed

from hpcagent.agent.config import Config
from hpcagent.agent.run.compose import compose, inside_accepted
from hpcagent.agent.run.discovery import mark_inside
from hpcagent.agent.run.report import summarize, untried_targets
from hpcagent.evidence import Baseline
from hpcagent.records import Edit, LoopTarget, Proposal
from hpcagent.tools.profile import called_inside

SOURCE = """double item(const double *a, int m) {
  double s = 0.0;
  for (int k = 0; k < m; k++)
    s += a[k] * a[k];
  return s;
}

void all(double *out, const double *a, int n, int m) {
  for (int i = 0; i < n; i++)
    out[i] = item(a + i * m, m);
}
"""
INNER, OUTER = ("w.c", 3, 4), ("w.c", 9, 10)


def profile(stacks: list[tuple[int, list[str]]]) -> dict:
    return {"stacks": [[n, chain] for n, chain in stacks], "samples": sum(n for n, _ in stacks)}


def test_call_stacks_tell_which_loop_runs_in_calls_from_another():
    prof = profile([(90, ["w.c:4", "w.c:10", "w.c:20"]),  # the inner loop, called from the outer loop's body
                    (5, ["w.c:4", "w.c:30"]),  # the inner loop called from elsewhere
                    (5, ["w.c:10", "w.c:20"])])  # the outer loop's own line
    assert abs(called_inside(prof, INNER, OUTER) - 90 / 95) < 1e-9
    assert called_inside(prof, OUTER, INNER) == 0.0  # the inner loop is never the caller
    # the outer loop's line below the inner one's frame (inner is the caller there) does not count
    assert called_inside(profile([(10, ["w.c:10", "w.c:4"])]), INNER, OUTER) == 0.0
    assert called_inside({"lines": {"w.c:4": 1.0}}, INNER, OUTER) == 0.0  # no stacks: nothing to say

    inner = {"file": "w.c", "line": 3, "end_line": 4}
    outer = {"file": "w.c", "line": 9, "end_line": 10}
    mark_inside(profile([(99, ["w.c:4", "w.c:10"]), (1, ["w.c:4", "w.c:30"])]), [inner, outer], [inner, outer])
    assert inner["inside"] == ["w.c:9"] and outer["inside"] == []
    mark_inside(profile([(90, ["w.c:4", "w.c:10"]), (10, ["w.c:4", "w.c:30"])]), [inner], [inner, outer])
    assert inner["inside"] == []  # 90% of its time: it also runs on its own, where its pragma would count


def pragma(line: int, text: str) -> Proposal:
    return Proposal("w.c", line, line + 1, "pragma", text, [], [Edit("w.c", line, line - 1, text + "\n")], 0.9,
                    "test", "analysis")


def test_compose_keeps_the_outer_parallel_loop_and_not_the_nested_pragma(tmp_path: Path):
    work = tmp_path / "work"
    (work / "orig").mkdir(parents=True)
    (work / "orig" / "w.c").write_text(SOURCE)
    inner_t = LoopTarget("w.c", 3, 4, "item", inside=["w.c:9"])
    outer_t = LoopTarget("w.c", 9, 10, "all")
    loops = [accepted(inner_t, pragma(3, "#pragma omp parallel for reduction(+:s)")),
             accepted(outer_t, pragma(9, "#pragma omp parallel for"))]
    assert inside_accepted(loops) == {"w.c:3": "w.c:9"}
    result = compose(TreeLab(lambda w, tree: passed(w / tree, 1.9)), work, Config(), Baseline(1.0), loops, no_log)
    assert result.ok and result.kept == ["w.c:9"] and result.covered == {"w.c:3": "w.c:9"}
    final = (work / "final" / "w.c").read_text()
    assert final.count("#pragma omp") == 1 and "#pragma omp parallel for\n  for (int i" in final
    summary = summarize({"run_id": "x", "repo": "r"}, loops, result)
    status = {lp["loop"]: (lp["status"], lp.get("covered_by")) for lp in summary["loops"]}
    assert status == {"w.c:3": ("inside_parallel_loop", "w.c:9"), "w.c:9": ("accepted", None)}
    # an outer change that opens no region on the loop itself (a pragma one level in) covers nothing
    loops[1] = accepted(outer_t, Proposal("w.c", 9, 10, "pragma", "#pragma omp simd", [],
                                          [Edit("w.c", 10, 9, "#pragma omp simd\n")], 0.9, "test", "analysis"))
    assert inside_accepted(loops) == {}


def test_the_report_says_why_a_target_was_not_tried():
    inner_t = LoopTarget("w.c", 3, 4, "item", inside=["w.c:9"])
    outer_t = LoopTarget("w.c", 9, 10, "all")
    later = LoopTarget("w.c", 20, 22, "other")
    state = {"targets": [outer_t.to_dict(), inner_t.to_dict(), later.to_dict()]}
    outer = accepted(outer_t, pragma(9, "#pragma omp parallel for"))
    why = {t.loop_id: reason for t, reason in untried_targets(state, [outer])}
    assert why == {"w.c:3": "runs in calls made from the body of `w.c:9`, whose accepted change already runs them "
                            "in parallel (a pragma here would open a nested team)",
                   "w.c:20": "not reached: the run's wall budget ran out first"}
