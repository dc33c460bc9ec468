"""The rule-based critic: reads the sandbox's evidence about one attempt and decides accept / repair / give up."""

from __future__ import annotations

import re
from pathlib import Path

from hpcagent.evidence import Evidence, RaceSite, Timing
from hpcagent.records import Attempt, Feedback, LoopTarget, Proposal, Verdict
from hpcagent.tools.loops.groups import group_members, is_group
from hpcagent.tools.loops.proposals import reduced, reduces

OPS = {"+": "+", "-": "-", "*": "*", "&": "&", "|": "|", "^": "^"}


def implied_clause(source_line: str, var: str) -> str | None:
    """The clause a race on scalar `var` at this source line implies: reduction(op:var) for an update, else None."""
    v = re.escape(var)
    m = re.search(rf"(?<![\w.>\]]){v}\s*([+\-*&|^])=", source_line)
    if m:
        return f"reduction({OPS[m.group(1)]}:{var})"
    m = re.search(rf"(?<![\w.>\]]){v}\s*=\s*{v}\s*([+\-*&|^])", source_line)
    if m:
        return f"reduction({OPS[m.group(1)]}:{var})"
    if re.search(rf"(?<![\w.>\]]){v}\s*(\+\+|--)|(\+\+|--)\s*{v}\b", source_line):
        return f"reduction(+:{var})"
    m = re.search(rf"(?<![\w.>\]]){v}\s*=\s*(fmax|fmin|max|min|MAX|MIN)\s*\(", source_line)
    if m:
        return f"reduction({m.group(1).lower().lstrip('f')}:{var})"
    return None


def _is_scalar(var: str | None) -> bool:
    return bool(var) and re.fullmatch(r"[A-Za-z_]\w*", var or "") is not None


def unproven_gap(proposal: Proposal, check: Evidence) -> str:
    """For a change the analysis did not prove: what is missing from the full evidence ('' if nothing).

    The race check must have run cleanly (no race report, even one the original also has) at every configured
    thread count, and the output must have been compared and matched.
    """
    if proposal.proof != "unproven":
        return ""
    race = check.race
    wanted = set(race.threads) if race else set()
    clean = race.clean_threads if race else set()
    if not wanted or not wanted <= clean or (race and race.races):
        missing = sorted(wanted - clean) or "?"
        return f"the race check was not clean at every configured thread count (missing or racy: {missing})"
    if check.unexecuted:
        return f"the race-check input never ran {', '.join(check.unexecuted)}, so the race check says nothing of it"
    if not (check.output and check.output.ok):
        return "the output was not compared with the original's"
    if check.test is not None and not check.test.ok:
        return "the tests failed"
    return ""


class RuleCritic:
    """Deterministic verdicts from the evidence; feedback is structured (kind, evidence, suggestion, data)."""

    name = "rules"

    def __init__(self, max_attempts: int = 4):
        self.max_attempts = max_attempts

    def review(self, target: LoopTarget, proposal: Proposal, check: Evidence,
               history: list[Attempt]) -> Verdict:
        verdict = self._review(target, proposal, check, history)
        return self._group(proposal, verdict, history) if is_group(proposal) else verdict

    def _group(self, proposal: Proposal, verdict: Verdict, history: list[Attempt]) -> Verdict:
        """A group change is tried once in each form (a thread team around the serial loop, then one pragma per
        loop): on a failure the planner offers the next form; once none is left, the loops are tried one by one."""
        if verdict.action == "accept":
            return verdict
        fb = verdict.feedback
        members = group_members(proposal)
        data = {**fb.data, "group": members}
        data.pop("add_clauses", None)
        data.pop("drop_clauses", None)
        # a race names its line (in the candidate tree); whichever loop it is in, each loop alone gets its own try
        if len(history) + 1 < self.max_attempts:
            return Verdict("repair", Feedback(fb.kind, fb.evidence, "try the group's other form, if any; its "
                                              f"loops ({', '.join(members)}) are then tried one by one", data))
        return Verdict("give_up", Feedback(fb.kind, fb.evidence, "group given up: its loops "
                                           f"({', '.join(members)}) are tried one by one", data))

    def _review(self, target: LoopTarget, proposal: Proposal, check: Evidence,
                history: list[Attempt]) -> Verdict:
        stage, error = check.stage, check.error or ""
        last_chance = len(history) + 1 >= self.max_attempts
        repair_or_give = "give_up" if last_chance else "repair"
        if stage == "passed":
            gap = unproven_gap(proposal, check)
            if gap:
                return Verdict("give_up", Feedback("rejected", f"not proven by the analysis, and {gap}",
                                                   "a change the analysis did not prove needs the full evidence"))
            t = check.timing or Timing()
            runs = len(check.race.runs) if check.race else 0
            unseen = (f" (the race-check input never ran {', '.join(check.unexecuted)}: the analysis's proof "
                      "stands for it, the race check does not)") if check.unexecuted else ""
            return Verdict("accept", Feedback(
                "accepted", f"race-free in {runs} race-check runs{unseen}, "
                f"{'tests pass' if check.test else 'output matches the original (no test command)'}, "
                f"{t.speedup or 0:.2f}x (min {t.speedup_min or 0:.2f}, max {t.speedup_max or 0:.2f}) beyond the noise"
                + (f" (two rounds, {t.reps} runs a side: rank-sum p = {t.rank_p:.4f}, at most the "
                   f"{t.rank_level:.4f} of one round with no overlap)" if t.rank_p is not None else "")))
        if stage == "veto":
            return self._vetoed(check, repair_or_give)
        if stage == "apply":
            return Verdict(repair_or_give, Feedback("rejected", error,
                                                    "propose an edit that fits the file and the loop's lines"))
        if stage in ("race_build", "build"):
            return self._compile_error(check, proposal, repair_or_give)
        if stage == "race":
            return self._race(check, proposal, repair_or_give)
        if stage in ("race_run", "run"):
            return Verdict("give_up", Feedback("crash", error or "the program failed",
                                               "the change breaks the program; leave this loop serial"))
        if stage in ("test", "output"):
            # the result changed: this change is out, and so is every other form of the loop it changes (a dependence
            # the race check did not see, or a reduction's other order of floating-point additions), but not the
            # target's other loops
            why = ("it reduces (floating-point sums in another order)" if reduces(proposal) else
                   f"it changes line {proposal.line}, not the target itself" if proposal.line != target.line else
                   "the loop computes something else in parallel: a dependence the race check did not see")
            return Verdict(repair_or_give, Feedback(
                "wrong_output" if stage == "output" else "test_failed", error,
                f"the result changed and {why}: leave line {proposal.line} serial and try the target's other "
                "candidates (or widen test.rtol if the difference is only rounding)",
                {"next_candidate": True, "skip_line": proposal.line,
                 **({"skip_reductions": reduced(proposal)} if reduces(proposal) else {})}))
        if stage == "unreliable":
            # neither accepted nor rejected: the machine was busy with something else in every try
            return Verdict("give_up", Feedback("unreliable", error, "time it again on a quiet machine (nothing else "
                                               "running): `hpcagent replay` this run"))
        if stage == "timing":
            t = check.timing or Timing(error=error or "no timing")
            if t.error and ("timed out" in t.error or t.error.startswith("far slower")):
                what = t.error if t.error.startswith("far slower") else f"a timed run was cut short: {t.error}"
                return Verdict(repair_or_give, Feedback("slower", what,
                                                        "far slower than the original: try another loop level",
                                                        {"next_candidate": True}))
            if t.error:
                return Verdict("give_up", Feedback("crash", t.error, "the timed run failed"))
            kind = "slower" if t.verdict == "slower" else "not_faster"
            return Verdict(repair_or_give, Feedback(kind, t.summary(),
                                                    "try another schedule, collapse, or loop level",
                                                    {"next_candidate": True}))
        return Verdict("give_up", Feedback("crash", f"unexpected check stage {stage!r}: {error}"))

    def _vetoed(self, check: Evidence, action: str) -> Verdict:
        """The static analysis refused the change: a proven dependence it leaves open (see tools/loops/veto.py)."""
        add = check.refusal.missing if check.refusal else []
        if add:
            return Verdict(action, Feedback("dependence", check.error or "", f"add {', '.join(add)}",
                                            {"add_clauses": add, "vetoed": True}))
        return Verdict(action, Feedback("dependence", check.error or "", "no clause resolves a proven loop-carried "
                                        "dependence: leave this loop serial or parallelize an inner loop",
                                        {"try_inner": True, "vetoed": True}))

    def _compile_error(self, check: Evidence, proposal: Proposal, action: str) -> Verdict:
        build = check.build or (check.race.build if check.race else None)
        errors = build.errors if build else []
        evidence = "; ".join(f"{d.file}:{d.line}: {d.message}" for d in errors[:3]) \
            or (build.reason if build else "") or "build failed"
        drop = [c for c in proposal.clauses
                if any(re.sub(r"\(.*", "", c) in d.message or
                       any(v.strip() and re.search(rf"'{re.escape(v.strip())}'", d.message)
                           for v in re.findall(r"[:(,]\s*(\w+)", c)) for d in errors)]
        if drop and action == "repair":
            return Verdict("repair", Feedback("compile_error", evidence, f"drop {', '.join(drop)}",
                                              {"drop_clauses": drop}))
        return Verdict(action if errors else "give_up",
                       Feedback("compile_error", evidence, "fix the pragma's syntax or clauses"))

    def _race(self, check: Evidence, proposal: Proposal, action: str) -> Verdict:
        races = check.race.races if check.race else []
        evidence = "; ".join(f"{r.file}:{r.line} {r.variable or '?'} ({r.kind} with line {r.other_line})"
                             for r in races[:4])
        add, arrays = [], []
        for r in races:
            var = r.variable
            if not _is_scalar(var) or r.location_kind == "heap":
                arrays.append(var or "?")
                continue
            clause = implied_clause(self._source_line(check, r), var)
            if clause is None:
                clause = f"private({var})" if self._written_first(check, r) else None
            if clause is None:
                arrays.append(var)
            elif clause not in add and clause not in proposal.clauses:
                add.append(clause)
        if arrays:
            return Verdict("give_up" if action == "give_up" else "repair", Feedback(
                "race", evidence, f"race on {', '.join(sorted(set(arrays)))}: a loop-carried dependence; "
                "give up this loop or parallelize an inner loop", {"arrays": sorted(set(arrays)), "try_inner": True}))
        if add and action == "repair":
            return Verdict("repair", Feedback("race", evidence, f"add {', '.join(add)}", {"add_clauses": add}))
        return Verdict("give_up", Feedback("race", evidence, "no clause fixes these races"))

    def _source_line(self, check: Evidence, race: RaceSite) -> str:
        try:
            return (Path(check.root or ".") / race.file).read_text().splitlines()[race.line - 1]
        except (OSError, IndexError):
            return ""

    def _written_first(self, check: Evidence, race: RaceSite) -> bool:
        """A plain assignment `v = ...` (not an update) races only because v is shared: private fixes it."""
        line = self._source_line(check, race)
        var = re.escape(race.variable or "")
        return bool(var) and re.search(rf"(?<![\w.>\]]){var}\s*=(?!=)", line) is not None
