"""The remainder: loops each too small to clear min_speedup alone, tried together on top of the accepted changes.

With them, the loops inside an accepted target that its change leaves serial: a time step's other sweeps, when the
accepted change was the pragma on one of them (`siblings`).

Discovery leaves out a loop whose share of the run could not give budget.min_speedup even if it ran perfectly in
parallel (Amdahl). Once the hot loops are parallel, the serial rest is a larger share of what is left: three loops
of 3% each in a program made 1.6x faster are 14% of the new run. They are what separates a 1.6x program from the
experts' 1.85x (Rodinia's cfd), and no one of them can show a gain against the original. So after compose the
analysis's directive for each of them (proven, else unproven where the race-check input runs the loop and
search.unproven allows) is applied as one set on top of the composed program, checked like any
candidate (race check, output, tests) and timed against the composed program itself; a set faster beyond the noise
joins the final program, which is then checked and timed against the original again for the report's figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from hpcagent.agent.config import Config
from hpcagent.agent.protocols import Lab
from hpcagent.agent.run.compose import fold_in, only_time, retimed
from hpcagent.agent.run.discovery import amdahl
from hpcagent.agent.run.lab import fresh_copy
from hpcagent.agent.run.loop_times import describe, judge, timer_edits, with_timers
from hpcagent.evidence import Baseline, Evidence, Timing
from hpcagent.records import Attempt, Composed, Dropped, Feedback, LoopResult, LoopTarget, Proposal, Verdict
from hpcagent.sandbox.coverage import entered
from hpcagent.tools.patch import EditError, apply_edits, original_line

MAX_LOOPS = 8
"""At most this many small loops in one set (the hottest first)."""


def small_targets(skipped: list[dict]) -> list[LoopTarget]:
    """The loops discovery left out as too small alone (they carry their target record), hottest first."""
    out = [LoopTarget.from_dict(s["target"]) for s in skipped if s.get("target")]
    return sorted(out, key=lambda t: (-(t.share or 0.0), t.file, t.line))


def region_of(lp: LoopResult) -> LoopTarget:
    """The span a kept change makes parallel: the loop its pragma is on when it only adds directives to one loop
    (a time step's first sweep, not the step loop it was tried for), else its whole target."""
    p = lp.accepted.proposal  # type: ignore[union-attr]
    if p.kind == "pragma" and not p.members and not p.locality and p.file == lp.target.file:
        return replace(lp.target, line=p.line, end_line=p.end_line)
    return lp.target


def siblings(kept: list[LoopResult], reports_of: Callable[[str], list]) -> list[LoopTarget]:
    """The loops inside a kept target that its change leaves serial and outside what it makes parallel (the other
    sweeps of a time step whose one sweep got the pragma). A loop the main loop already tried with a result other
    than a timing within the noise is not one, nor is any loop inside it (the inner level of a sum whose reduction
    changed the output)."""
    out = []
    for lp in kept:
        t, region = lp.target, region_of(lp)
        if (region.line, region.end_line) == (t.line, t.end_line):
            continue  # the target itself runs in parallel: everything inside it already does
        refused = {(a.proposal.line, a.proposal.pragma) for a in lp.attempts if a.check.stage != "timing"
                   or (a.check.timing is not None and a.check.timing.verdict == "slower")}
        try:
            reports = reports_of(t.file)
        except Exception:  # an analysis that cannot read the file proposes nothing
            continue
        inner = [LoopTarget(t.file, r.line, r.end_line, t.function, t.depth + 1, verdict=r.verdict, reason=r.reason,
                            proposals=len(r.candidates)) for r in reports if t.line < r.line and r.end_line <= t.end_line]
        tried = [o for o, r in zip(inner, (r for r in reports if t.line < r.line and r.end_line <= t.end_line))
                 if any((c.line, c.pragma) in refused for c in r.candidates)]
        out += [o for o in inner if not overlaps(o, region) and not any(overlaps(o, x) for x in tried)]
    return out


def overlaps(a: LoopTarget, b: LoopTarget) -> bool:
    return a.file == b.file and a.line <= b.end_line and b.line <= a.end_line


def first_plain_change(reports, t: LoopTarget, unproven: bool = False) -> Proposal | None:
    """The analysis's first change of a loop that only adds directives (no rewrite, no group): a proven one, else,
    when `unproven`, one the analysis left unproven only by a possible dependence or aliasing."""
    report = next((r for r in reports if r.line == t.line), None)
    plain = [c for c in (report.candidates if report is not None else [])
             if not c.locality and not c.members and c.kind == "pragma"]
    return next((c for c in plain if c.proof != "unproven"), None) or \
        (next((c for c in plain if c.proof == "unproven"), None) if unproven else None)


def choose(small: list[LoopTarget], kept: list[LoopResult], reports_of: Callable[[str], list],
           speedup: float, threads: int, min_speedup: float,
           unproven: Callable[[LoopTarget], bool] = lambda t: False,
           timers: bool = False) -> tuple[list[tuple[LoopTarget, Proposal]], str]:
    """The set to try and why (or [] and why not). A loop inside or around a kept loop (or called from the body of
    one), or holding a line a kept change edits (a thread team's region at a call site), is left out: its change
    would nest one parallel region in another. So is one inside or around a loop already in the set. Each loop's
    share of the composed program is its share of the original times the composed program's speedup.
    unproven(t): whether t may get a change the analysis did not prove (search.unproven, and the race-check input
    runs the loop: the race check must speak for it). timers: a set out of min_speedup's reach is still tried,
    and each loop's own time decides (agent/run/loop_times.py)."""
    chosen: list[tuple[LoopTarget, Proposal]] = []
    taken = [region_of(lp) for lp in kept]
    edited = [(e.file, e.start_line) for lp in kept for e in lp.accepted.proposal.edits]  # type: ignore[union-attr]
    for t in small:
        if len(chosen) >= MAX_LOOPS or any(overlaps(t, o) for o in taken) or set(t.inside) & {lp.loop_id for lp in kept} \
                or any(f == t.file and t.line <= line <= t.end_line for f, line in edited):
            continue  # (or it runs in calls made from a kept loop's body: t.inside)
        try:
            change = first_plain_change(reports_of(t.file), t, unproven(t))
        except Exception:  # an analysis that cannot read the file proposes nothing
            change = None
        if change is not None:
            chosen.append((t, change))
            taken.append(t)
    if not chosen:
        return [], "no loop too small alone has a change that only adds directives (proven, or unproven and run " \
                   "by the race-check input)"
    share = min(1.0, sum(t.share or 0.0 for t, _ in chosen) * max(speedup, 1.0))
    bound = amdahl(share, threads)
    what = (f"{len(chosen)} loop(s) each too small alone, together {share:.1%} of the "
            + ("program with the accepted changes" if kept else "run"))
    if bound < min_speedup:
        if timers:
            return chosen, f"{what}: at most {bound:.3f}x overall, under min_speedup {min_speedup}; each loop's own " \
                           "time will decide (loop timers)"
        return [], f"{what}: at most {bound:.3f}x, under min_speedup {min_speedup}"
    return chosen, f"{what}: up to {bound:.3f}x"


def try_remainder(lab: Lab, work: Path, cfg: Config, base: Baseline, composed: Composed, loops: list[LoopResult],
                  small: list[LoopTarget], reports_of: Callable[[str], list],
                  log: Callable[..., object]) -> tuple[Composed, list[LoopResult]]:
    """Try the small loops as one set on top of the composed program. Returns the composed record (extended with
    the set when it is kept) and a LoopResult per small loop tried (accepted, or given up with the set's evidence).
    A set that races drops the loops the races fall in and is tried once more; so does a passing set holding a
    change the analysis did not prove without the full evidence such a change needs. The tentative changes
    compose dropped only for a timing within the noise (`retimed`) join the set with their own change, so that
    their loops' own times can decide too; their LoopResults come back updated in place of new ones."""
    kept = [lp for lp in loops if lp.loop_id in composed.kept] if composed.ok else []
    speedup = composed.check.speedup if composed.ok and composed.check is not None else 1.0
    again = retimed(loops, composed) if cfg.budget.min_loop_speedup > 0 else []

    def unproven(t: LoopTarget) -> bool:
        return cfg.search.unproven and base.executed is not None and entered(base.executed, t.file, t.line, t.end_line)

    small = small + [t for t in siblings(kept, reports_of) if t.loop_id not in {s.loop_id for s in small}]
    small = [t for t in small if t.loop_id not in {lp.loop_id for lp in again}]
    if not small and not again:
        return composed, []
    chosen, why = choose(small, kept + again, reports_of, speedup, cfg.threads.count, cfg.budget.min_speedup,
                         unproven, cfg.budget.min_loop_speedup > 0) if small else ([], "")
    if again:
        chosen = [(lp.target, lp.accepted.proposal) for lp in again] + chosen  # type: ignore[union-attr]
        why = (f"{why}; " if why else "") + (f"with {len(again)} tentative change(s) within the noise alone and in "
                                             "their own set: each loop's own time will decide (loop timers)")
    log("remainder", loops=[t.loop_id for t, _ in chosen], reason=why)
    if not chosen:
        return composed, []
    composed, results = settle(lab, work, cfg, base, composed, kept, chosen, log)
    for lp in results:  # each loop's verdict in the transcript, as the main loop records one
        a = lp.attempts[-1]
        log("verdict", loop=lp.loop_id, attempt=a.number, action=a.verdict.action, feedback=a.verdict.feedback.to_dict(),
            remainder=True)
    return fold_in(composed, again, results)


def settle(lab: Lab, work: Path, cfg: Config, base: Baseline, composed: Composed, kept: list[LoopResult],
           chosen: list[tuple[LoopTarget, Proposal]], log: Callable[..., object]) -> tuple[Composed, list[LoopResult]]:
    """Check the set (and, after dropping members a race or a gap in the evidence names, the rest once more); the
    composed record and a LoopResult per member."""
    base_edits = [e for lp in kept for e in lp.accepted.proposal.edits]  # type: ignore[union-attr]
    reference = "base"
    if kept:  # the composed program as the reference of the timing, built afresh by the lab
        apply_edits(fresh_copy(work / "orig", work / "ref"), base_edits)
        reference = "ref"
    results: list[LoopResult] = []
    ev = check_set(lab, work, cfg, base, base_edits, chosen, reference, log)
    unplaced = ev.stage == "race" and not racing_small(chosen, ev, base_edits)  # (a race in a function called)
    if (ev.stage in SPLIT or unplaced) and len(chosen) > 1:  # find the members failing alone; check the rest again
        chosen, failing = split(lab, work, cfg, base, base_edits, chosen, log)
        results += [given_up(t, p, e, f"left out of the set of small loops: with it, a part of the set failed at "
                                      f"{e.stage}: {e.error}") for (t, p), e in failing]
        if not chosen:
            return composed, results
        ev = check_set(lab, work, cfg, base, base_edits, chosen, reference, log)
    out = racing_small(chosen, ev, base_edits) or short_of_evidence(chosen, ev)
    if out and len(out) < len(chosen):
        results += [given_up(*chosen[i], ev, f"too small alone, and left out of the set of small loops: {why}")
                    for i, why in out.items()]
        chosen = [c for i, c in enumerate(chosen) if i not in out]
        ev = check_set(lab, work, cfg, base, base_edits, chosen, reference, log)
    if (ev.passed or only_time(ev)) and short_of_evidence(chosen, ev):  # (every member, or again after the second try)
        ev = replace(ev, stage="evidence", error="; ".join(short_of_evidence(chosen, ev).values()))
    if only_time(ev) and cfg.budget.min_loop_speedup > 0:
        return by_own_time(lab, work, cfg, base, composed, kept, chosen, ev, results, log)
    if not ev.passed:
        results += [given_up(t, p, ev, f"too small alone, and tried together with {len(chosen) - 1} other small "
                                       f"loop(s): the set failed at {ev.stage}: {ev.error}") for t, p in chosen]
        return composed, results
    return finish(lab, work, cfg, base, composed, kept, chosen, ev, results, log)


SPLIT = ("output", "test", "run", "race_run", "build", "race_build", "apply")
"""Stages at which a failing set is halved until the members failing alone are found (a race names its loops,
unless it falls in a function they call: then it is halved too)."""


def split(lab: Lab, work: Path, cfg: Config, base: Baseline, base_edits: list, chosen: list,
          log: Callable[..., object]) -> tuple[list, list]:
    """Halve a set that failed at a SPLIT stage, checking each half on top of the composed program (not timed: only
    its stages count), down to the single members that fail: (the members of the halves that did not fail that way,
    [(member, its evidence)])."""
    fails = (*SPLIT, "race")
    if len(chosen) == 1:
        ev = check_set(lab, work, cfg, base, base_edits, chosen, None, log)
        return ([], [(chosen[0], ev)]) if ev.stage in fails else (chosen, [])
    keep, failing = [], []
    for part in (chosen[: len(chosen) // 2], chosen[len(chosen) // 2:]):
        ev = check_set(lab, work, cfg, base, base_edits, part, None, log) if len(part) > 1 else None
        if ev is not None and ev.stage not in fails:
            keep += part
            continue
        k, f = split(lab, work, cfg, base, base_edits, part, log)
        keep, failing = keep + k, failing + f
    return keep, failing


def check_set(lab: Lab, work: Path, cfg: Config, base: Baseline, base_edits: list, chosen, reference: str | None,
              log: Callable[..., object]) -> Evidence:
    """The set applied on top of the composed program in work/rest and checked, timed against the reference (None:
    not timed, a part of a failing set being halved)."""
    try:
        apply_edits(fresh_copy(work / "orig", work / "rest"), base_edits + [e for _, p in chosen for e in p.edits])
    except EditError as exc:
        ev = Evidence(stage="apply", error=str(exc))
    else:
        ev = lab.evidence(work, "rest", cfg, base, reference=reference)
    log("compose", loops=[t.loop_id for t, _ in chosen], stage=ev.stage, error=ev.error, remainder=True,
        **({"reference": reference} if reference else {}), timing=ev.timing.to_dict() if ev.timing else None,
        race=ev.to_dict().get("race"),
        output=ev.to_dict().get("output"), test=ev.to_dict().get("test"))
    return ev


def racing_small(chosen: list[tuple[LoopTarget, Proposal]], ev: Evidence, base_edits: list) -> dict:
    """The small loops a race of the set falls in (its lines mapped back to the original): their index in chosen
    -> why."""
    if ev.stage != "race" or ev.race is None:
        return {}
    edits = base_edits + [e for _, p in chosen for e in p.edits]
    hit: dict[int, str] = {}
    for race in ev.race.races:
        for file, line in ((race.file, race.line), (race.other_file or race.file, race.other_line)):
            orig = original_line(edits, file, line)
            for i, (t, _) in enumerate(chosen):
                if orig is not None and t.file == file and t.line <= orig <= t.end_line and i not in hit:
                    hit[i] = f"the set races at {race.file}:{race.line} on {race.variable or '?'}, inside this loop"
    return hit


def short_of_evidence(chosen: list[tuple[LoopTarget, Proposal]], ev: Evidence) -> dict:
    """The members whose change the analysis did not prove and for which the set's passing evidence is not the
    full evidence such a change needs (agent/critics/rules.py unproven_gap): their index in chosen -> why; {} unless
    the set passed (or failed only at its timing, within the noise)."""
    from hpcagent.agent.critics.rules import unproven_gap

    if not (ev.passed or only_time(ev)):
        return {}
    return {i: f"not proven by the analysis, and {gap}" for i, (_, p) in enumerate(chosen)
            if (gap := unproven_gap(p, ev))}


def finish(lab: Lab, work: Path, cfg: Config, base: Baseline, composed: Composed, kept: list[LoopResult],
           chosen: list[tuple[LoopTarget, Proposal]], ev: Evidence, results: list[LoopResult],
           log: Callable[..., object]) -> tuple[Composed, list[LoopResult]]:
    """The set passed against the composed program: the final program with it, checked and timed against the
    original for the report's figure. A final program that fails there keeps the composed one."""
    tm = ev.timing
    gain = (f"{tm.speedup:.2f}x (min {tm.speedup_min:.2f}, max {tm.speedup_max:.2f}) beyond the noise, timed "
            + ("against the program with the accepted changes" if kept else "against the original")) if tm else ""
    ids = [t.loop_id for t, _ in chosen]
    if not kept:
        files = apply_edits(fresh_copy(work / "orig", work / "final"), [e for _, p in chosen for e in p.edits])
        final = ev
    else:
        files = apply_edits(fresh_copy(work / "orig", work / "final"),
                            [e for lp in kept for e in lp.accepted.proposal.edits]  # type: ignore[union-attr]
                            + [e for _, p in chosen for e in p.edits])
        final = lab.evidence(work, "final", cfg, base)
        log("compose", loops=[*composed.kept, *ids], stage=final.stage, error=final.error,
            timing=final.timing.to_dict() if final.timing else None)
        quiet = final.stage == "timing" and final.timing is not None and final.timing.verdict == "within noise" \
            and final.speedup >= cfg.budget.min_speedup  # the headline figure in doubt, not the set (as in compose)
        if not (final.passed or final.stage == "unreliable" or quiet):
            apply_edits(fresh_copy(work / "orig", work / "final"),
                        [e for lp in kept for e in lp.accepted.proposal.edits])  # type: ignore[union-attr]
            why = f"the small loops' set passed on top of the accepted changes, but the whole program with it " \
                  f"failed at {final.stage}: {final.error}"
            results += [given_up(t, p, final, why) for t, p in chosen]
            return replace(composed, dropped=[*composed.dropped, *(Dropped(i, why) for i in ids)]), results
    runs = len(ev.race.runs) if ev.race else 0
    verdict = Verdict("accept", Feedback("accepted", evidence=(
        f"race-free in {runs} race-check runs, {'tests pass' if ev.test else 'output matches the original'}, "
        f"applied with {len(chosen) - 1} other small loop(s): {gain}")))
    for t, p in chosen:
        attempt = Attempt(1, p, ev.slim(), verdict)
        results.append(LoopResult(t, "accepted", f"too small to clear min_speedup alone; accepted together with "
                                                 f"{len(chosen) - 1} other small loop(s): {gain}", [attempt], attempt))
    out = replace(composed, ok=True, kept=[*composed.kept, *ids], files=sorted(set(composed.files) | set(files)),
                  check=final, remainder=ids, remainder_check=ev)
    return out, results


def by_own_time(lab: Lab, work: Path, cfg: Config, base: Baseline, composed: Composed, kept: list[LoopResult],
                chosen: list[tuple[LoopTarget, Proposal]], ev: Evidence, results: list[LoopResult],
                log: Callable[..., object]) -> tuple[Composed, list[LoopResult]]:
    """The set passed every check but left the program's time within the noise: each loop's own time decides
    (agent/run/loop_times.py). The loops faster beyond the noise by budget.min_loop_speedup join a final program,
    which is checked again against the original and must pass everything but a gain beyond the noise."""
    base_edits = [e for lp in kept for e in lp.accepted.proposal.edits]  # type: ignore[union-attr]
    targets = [t for t, _ in chosen]
    names = [t.loop_id for t in targets]
    timers = timer_edits(targets, lambda f: (work / "orig" / f).read_text(errors="replace").splitlines())
    try:
        apply_edits(fresh_copy(work / "orig", work / "timed-ref"), with_timers(base_edits, timers))
        apply_edits(fresh_copy(work / "orig", work / "timed-set"),
                    with_timers(base_edits + [e for _, p in chosen for e in p.edits], timers))
        runs = lab.loop_times(work, "timed-ref", "timed-set", cfg, base)
    except EditError as exc:
        runs = f"the loop timers do not fit the code: {exc}"
    own = {n: runs for n in names} if isinstance(runs, str) else judge(names, runs, cfg.budget.min_loop_speedup)
    tm = ev.timing
    whole = (f"the set of small loops timed {tm.speedup:.2f}x (min {tm.speedup_min:.2f}, max {tm.speedup_max:.2f}) "
             f"against the program without it, not beyond the noise by min_speedup {cfg.budget.min_speedup}"
             if tm is not None and tm.speedup is not None else "the set of small loops was not timed")
    log("loop_times", loops=names, whole=ev.timing.to_dict() if ev.timing else None,  # type: ignore[union-attr]
        times={n: t.to_dict() if isinstance(t, Timing) else {"error": t} for n, t in own.items()},
        min_loop_speedup=cfg.budget.min_loop_speedup)
    faster = [(t, p) for t, p in chosen if isinstance(own[t.loop_id], Timing) and own[t.loop_id].beyond_noise]
    for t, p in chosen:
        if (t, p) not in faster:
            results.append(given_up(t, p, ev, f"in the set of small loops; {whole}, and "
                                              f"{describe(t.loop_id, own[t.loop_id])}: not faster beyond the noise "
                                              f"by min_loop_speedup {cfg.budget.min_loop_speedup}"))
    if not faster:
        return composed, results
    ids = [t.loop_id for t, _ in faster]
    files = apply_edits(fresh_copy(work / "orig", work / "final"), base_edits + [e for _, p in faster for e in p.edits])
    final = lab.evidence(work, "final", cfg, base)
    log("compose", loops=[*composed.kept, *ids], stage=final.stage, error=final.error, loop_times=True,
        timing=final.timing.to_dict() if final.timing else None)
    if not (final.passed or final.stage == "unreliable" or only_time(final)):
        apply_edits(fresh_copy(work / "orig", work / "final"), base_edits)
        why = f"faster on its own time, but the program with it failed at {final.stage}: {final.error}"
        results += [given_up(t, p, final, why) for t, p in faster]
        return replace(composed, dropped=[*composed.dropped, *(Dropped(i, why) for i in ids)]), results
    for t, p in faster:
        note = (f"race-free in {len(final.race.runs) if final.race else 0} race-check runs of the final program, "
                f"{'tests pass' if final.test else 'output matches the original'}; {whole}; "
                f"{describe(t.loop_id, own[t.loop_id])}")
        attempt = Attempt(1, p, final.slim(), Verdict("accept", Feedback("accepted", evidence=note)))
        results.append(LoopResult(t, "accepted", f"not faster beyond the noise in the whole program's time; accepted on its "
                                                 f"own time (loop timers): {note}", [attempt], attempt))
    return replace(composed, ok=True, kept=[*composed.kept, *ids], files=sorted(set(composed.files) | set(files)),
                   check=final, remainder=[*composed.remainder, *ids],
                   remainder_check=ev, loop_times={i: own[i].to_dict() for i in ids}), results  # type: ignore[union-attr]


KINDS = {"output": "wrong_output", "test": "test_failed", "build": "compile_error", "race_build": "compile_error",
         "run": "crash", "race_run": "crash", "apply": "crash"}
"""The critic's feedback kind for the stage a set failed at (agent/critics/rules.py)."""


def given_up(t: LoopTarget, p: Proposal, ev: Evidence, why: str) -> LoopResult:
    kind = KINDS.get(ev.stage) or ("not_faster" if ev.stage == "timing" else ev.stage)
    if ev.stage == "timing" and ev.timing is not None and ev.timing.verdict == "slower":
        kind = "slower"
    attempt = Attempt(1, p, ev.slim(), Verdict("give_up", Feedback(kind, evidence=ev.error or ev.stage)))
    return LoopResult(t, "given_up", why, [attempt])
