"""The rule-based critic's decisions on each kind of evidence."""

from __future__ import annotations

from pathlib import Path

from hpcagent.agent.critics.rules import RuleCritic, implied_clause
from hpcagent.evidence import Build, Diagnostic, Evidence, RaceCheck, RaceRun, RaceSite, Timing
from hpcagent.records import Attempt, Feedback, LoopTarget, Proposal, Verdict

TARGET = LoopTarget("k.c", 3, 5, "f")
PRAGMA = Proposal("k.c", 3, 5, pragma="#pragma omp parallel for", clauses=[])


def race(line: int, var: str, kind: str = "write-write", loc: str = "stack") -> RaceSite:
    return RaceSite(file="k.c", line=line, other_line=line, variable=var, kind=kind, location_kind=loc)


def race_check(races: list[RaceSite]) -> RaceCheck:
    return RaceCheck(build=Build(ok=True), runs=[RaceRun(threads=2, races=len(races))], races=races, threads=[2])


def test_implied_clauses():
    assert implied_clause("    s += a[i];", "s") == "reduction(+:s)"
    assert implied_clause("p = p * x[i];", "p") == "reduction(*:p)"
    assert implied_clause("count++;", "count") == "reduction(+:count)"
    assert implied_clause("m = fmax(m, v[i]);", "m") == "reduction(max:m)"
    assert implied_clause("flags |= bit[i];", "flags") == "reduction(|:flags)"
    assert implied_clause("a[s] += 1;", "s") is None          # s only indexes: no reduction on s
    assert implied_clause("t = a[i] * 2;", "t") is None


def test_race_on_an_accumulator_asks_for_a_reduction(tmp_path: Path):
    (tmp_path / "k.c").write_text("void f(double*a,int n){double s=0;\n#pragma omp parallel for\nfor(int i=0;i<n;i++)\n"
                                  "  s += a[i];\n}\n")
    check = Evidence(stage="race", root=str(tmp_path), race=race_check([race(4, "s")]))
    v = RuleCritic().review(TARGET, PRAGMA, check, [])
    assert v.action == "repair" and v.feedback.data["add_clauses"] == ["reduction(+:s)"]


def test_race_on_a_temporary_asks_for_private(tmp_path: Path):
    (tmp_path / "k.c").write_text("x\nx\nx\n  t = a[i] * 2;\n")
    check = Evidence(stage="race", root=str(tmp_path), race=race_check([race(4, "t")]))
    v = RuleCritic().review(TARGET, PRAGMA, check, [])
    assert v.feedback.data["add_clauses"] == ["private(t)"]


def test_race_on_an_array_gives_up_or_goes_inner(tmp_path: Path):
    (tmp_path / "k.c").write_text("x\nx\nx\n  a[i+1] = a[i] + 1;\n")
    check = Evidence(stage="race", root=str(tmp_path), race=race_check([race(4, "a[i+1]", loc="global")]))
    v = RuleCritic().review(TARGET, PRAGMA, check, [])
    assert v.feedback.kind == "race" and v.feedback.data.get("try_inner")
    history = [Attempt(i + 1, PRAGMA, check, Verdict("repair", Feedback("race"))) for i in range(3)]
    assert RuleCritic(max_attempts=4).review(TARGET, PRAGMA, check, history).action == "give_up"


def test_compile_error_drops_the_clause_it_names():
    p = Proposal("k.c", 3, 5, pragma="#pragma omp parallel for reduction(+:zz)", clauses=["reduction(+:zz)"])
    build = Build(ok=False, diagnostics=[Diagnostic("k.c", 3, 1, "error", "use of undeclared identifier 'zz'")])
    check = Evidence(stage="race_build", race=RaceCheck(build=build))
    v = RuleCritic().review(TARGET, p, check, [])
    assert v.action == "repair" and v.feedback.data["drop_clauses"] == ["reduction(+:zz)"]


def test_wrong_output_and_failed_tests_end_that_loop_and_a_crash_the_target():
    for stage in ("output", "test"):
        v = RuleCritic().review(TARGET, PRAGMA, Evidence(stage=stage, error="differs"), [])
        assert v.action == "repair" and v.feedback.data == {"next_candidate": True, "skip_line": 3}, v
        assert "a dependence the race check did not see" in v.feedback.suggestion
    assert RuleCritic().review(TARGET, PRAGMA, Evidence(stage="race_run", error="differs"), []).action == "give_up"


def test_a_wrong_output_from_a_reduction_or_another_loop_ends_that_change_not_the_target():
    """srad_v1 on the Rodinia dev set: the first candidate of the iteration loop was its ROI sum's reduction, whose
    other order of float additions changed one pixel; giving up the target left its two hot sweeps untried."""
    summed = Proposal("k.c", 3, 5, pragma="#pragma omp parallel for reduction(+:sum)", clauses=["reduction(+:sum)"])
    inner = Proposal("k.c", 9, 12, pragma="#pragma omp parallel for", clauses=[])
    for prop, why in ((summed, "it reduces (floating-point sums in another order)"),
                      (inner, "it changes line 9, not the target itself")):
        for stage in ("output", "test"):
            v = RuleCritic().review(TARGET, prop, Evidence(stage=stage, error="pixel 158: expected 105, got 104"), [])
            sums = {"skip_reductions": ["sum"]} if prop is summed else {}
            assert v.action == "repair" and v.feedback.data == {"next_candidate": True, "skip_line": prop.line,
                                                                 **sums}, v
            assert why in v.feedback.suggestion and v.feedback.kind in ("wrong_output", "test_failed")
    # no attempt left: given up as before
    last = [Attempt(i, summed, Evidence(stage="output"), Verdict("repair", Feedback("wrong_output"))) for i in (1, 2, 3)]
    assert RuleCritic().review(TARGET, summed, Evidence(stage="output", error="x"), last).action == "give_up"


def test_not_faster_tries_another_candidate_then_gives_up():
    timing = Timing(speedup=1.02, speedup_min=0.9, speedup_max=1.1, verdict="within noise", reps=5)
    check = Evidence(stage="timing", timing=timing)
    v = RuleCritic(max_attempts=2).review(TARGET, PRAGMA, check, [])
    assert v.action == "repair" and v.feedback.kind == "not_faster" and v.feedback.data["next_candidate"]
    history = [Attempt(1, PRAGMA, check, v)]
    assert RuleCritic(max_attempts=2).review(TARGET, PRAGMA, check, history).action == "give_up"


def test_all_evidence_good_accepts():
    timing = Timing(speedup=1.9, speedup_min=1.8, speedup_max=2.0, verdict="faster", reps=5)
    check = Evidence(stage="passed", timing=timing, race=race_check([]))
    v = RuleCritic().review(TARGET, PRAGMA, check, [])
    assert v.action == "accept" and "1.90x" in v.feedback.evidence
    assert "Suggestion" not in v.feedback.prose()
