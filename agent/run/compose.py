"""Compose: every accepted change applied together and checked as one program; changes that break or slow it drop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from hpcagent.agent.config import Config
from hpcagent.agent.protocols import Lab
from hpcagent.agent.run.lab import fresh_copy
from hpcagent.evidence import Baseline, Evidence
from hpcagent.records import Composed, Dropped, Edit, LoopResult, LoopTarget, Proposal, best_accepted
from hpcagent.tools.loops.groups import group_members
from hpcagent.tools.patch import EditError, apply_edits, original_line

SLOWER_SET = 0.9
"""A composed set whose speedup is under this fraction of its best change's own gets one try without its weakest."""
TRIAL_GAIN = 1.05
"""...and the smaller set is kept only if it is this much faster than the full one."""


def covered_by_groups(loops: list[LoopResult]) -> dict[str, str]:
    """loop id -> the id of the loop whose accepted change covers it: a group on a serial loop covers its members;
    a rewrite that replaces lines (a fusion with the next loop, a tiling of a nest) covers every other loop that
    starts on them, whose text it has rewritten and whose own change could no longer be applied on top of it."""
    out: dict[str, str] = {}
    for lp in loops:
        if lp.status == "accepted" and lp.accepted is not None:
            for member in group_members(lp.accepted.proposal):
                out.setdefault(member, lp.loop_id)
            for other in loops:
                if other is not lp and rewrites_line_of(lp.accepted.proposal, other.target):
                    out.setdefault(other.loop_id, lp.loop_id)
    return out


def inside_accepted(loops: list[LoopResult]) -> dict[str, str]:
    """loop id -> the accepted loop from whose body nearly all of its time is called (LoopTarget.inside) when that
    loop's change opens a parallel region right on it: the calls already run in parallel, and a pragma of this loop's
    own would only open a nested team of one thread per call (RSBench's nuclide loop under its history loop)."""
    regions = parallel_regions(loops)
    by_id = {lp.loop_id: lp for lp in loops}
    out: dict[str, str] = {}
    for lp in loops:
        # (two loops each inside the other: recursion; neither covers the other)
        outer = next((o for o in lp.target.inside if o in regions and lp.loop_id not in by_id[o].target.inside), None)
        if outer is not None:
            out[lp.loop_id] = outer
    return out


def parallel_regions(loops: list[LoopResult]) -> set[str]:
    """The accepted loops whose change opens a parallel region right on the loop."""
    return {lp.loop_id for lp in loops if lp.status == "accepted" and lp.accepted is not None
            and opens_region_on(lp.accepted.proposal, lp.target)}


def opens_region_on(change: Proposal, t: LoopTarget) -> bool:
    """The change inserts a `#pragma omp parallel ...` line right before t's loop."""
    return any(e.file == t.file and e.start_line == t.line and e.end_line == t.line - 1
               and e.new_text.lstrip().startswith("#pragma omp parallel") for e in change.edits)


def rewrites_line_of(change: Proposal, t: LoopTarget) -> bool:
    """The change replaces lines among which t's loop starts (a fusion with the next loop, a tiling of a nest)."""
    return any(e.file == t.file and e.start_line <= t.line <= e.end_line for e in change.edits
               if e.end_line >= e.start_line)


def edits_of(loops: list[LoopResult]) -> list[Edit]:
    return [e for lp in loops for e in lp.accepted.proposal.edits]  # type: ignore[union-attr]


def compose(lab: Lab, work: Path, cfg: Config, base: Baseline, loops: list[LoopResult],
            log: Callable[..., object]) -> Composed:
    """Apply every accepted change together and check the whole program; drop the latest change until it passes.
    Tentative changes (small gains within the noise alone) are first checked and timed as a set of their own; if
    the set is faster beyond the noise they join the accepted ones, else they are dropped together."""
    confirmed, dropped, together = judge_tentative(lab, work, cfg, base,
                                                   [lp for lp in loops if lp.status == "tentative"], log)
    accepted = [lp for lp in loops if lp.status == "accepted"]
    # sets of changes already timed beyond the noise as a whole: each accepted change alone, the confirmed set
    proven = [frozenset([lp.loop_id]) for lp in accepted] + ([frozenset(lp.loop_id for lp in confirmed)]
                                                              if confirmed else [])
    composed = compose_accepted(lab, work, cfg, base, accepted + [replace(lp, status="accepted") for lp in confirmed],
                                log, proven)
    composed.dropped = dropped + composed.dropped
    composed.confirmed = [lp.loop_id for lp in confirmed if lp.loop_id in composed.kept]
    composed.together = together
    return composed


def judge_tentative(lab: Lab, work: Path, cfg: Config, base: Baseline, tentative: list[LoopResult],
                    log: Callable[..., object]) -> tuple[list[LoopResult], list[Dropped], Evidence | None]:
    """The tentative changes applied together, checked like any candidate (build, race check, output, tests) and
    timed against the original: (those confirmed, those dropped and why, the set's evidence)."""
    dropped: list[Dropped] = []
    tentative = list(tentative)
    while (clash := first_clash(tentative)) is not None:
        tentative.remove(clash)
        dropped.append(Dropped(clash.loop_id, "tentative: its edit lands on a line another tentative change edits"))
    if not tentative:
        return [], dropped, None
    try:
        apply_edits(fresh_copy(work / "orig", work / "final"), edits_of(tentative))
    except EditError as exc:
        result = Evidence(stage="apply", error=str(exc))
    else:
        result = lab.evidence(work, "final", cfg, base)
    ids = [lp.loop_id for lp in tentative]
    log("compose", loops=ids, stage=result.stage, error=result.error, tentative=True,
        timing=result.timing.to_dict() if result.timing else None)
    if result.passed:
        return tentative, dropped, result
    others = len(tentative) - 1
    why = ("within the noise alone, and " + (f"with the {others} other tentative change(s) " if others else "timed again ")
           + f"not accepted: {result.error or result.stage}")
    return [], dropped + [Dropped(i, why) for i in ids], result


def compose_accepted(lab: Lab, work: Path, cfg: Config, base: Baseline, kept: list[LoopResult],
                     log: Callable[..., object], proven: list[frozenset[str]] | None = None) -> Composed:
    """Apply the accepted changes together and check the whole program; drop the latest change until it passes.

    proven: sets of loops whose changes were already timed beyond the noise as this very program (one accepted
    change alone, the confirmed tentative set). Such a set is checked again like any (build, race check, output,
    tests); a second timing within the noise keeps it only when its median still shows the gain (at least
    budget.min_speedup): the first, beyond-noise, verdict reproduced in direction though not beyond the noise. A
    median under that (1.01x after 1.04x: the first gain did not reproduce) or a slower timing drops it."""
    dropped: list[Dropped] = []
    revoked: dict[str, str] = {}
    while kept:
        # a loop accepted alone and also covered by an accepted group (or by a rewrite of its lines): that change
        # makes it parallel already
        ids = {lp.loop_id for lp in kept}
        covered = {k: g for k, g in {**inside_accepted(kept), **covered_by_groups(kept)}.items() if k in ids}
        active = [lp for lp in kept if lp.loop_id not in covered]
        clash = first_clash(active)
        if clash is not None:  # two insertions before one line pass the patcher but stack two pragmas
            kept.remove(clash)
            dropped.append(Dropped(clash.loop_id, "its edit lands on a line that an earlier accepted change "
                                                  "already edits"))
            continue
        try:
            files = apply_edits(fresh_copy(work / "orig", work / "final"), edits_of(active))
        except EditError as exc:
            result = Evidence(stage="apply", error=str(exc))
        else:
            result = lab.evidence(work, "final", cfg, base)
        log("compose", loops=[lp.loop_id for lp in active], stage=result.stage, error=result.error,
            timing=result.timing.to_dict() if result.timing else None, covered=covered)
        if result.stage == "unreliable" or (result.stage == "timing" and result.timing is not None
                                            and result.timing.verdict == "within noise"
                                            and result.timing.speedup >= result.timing.min_speedup
                                            and frozenset(lp.loop_id for lp in active) in (proven or [])):
            # each change was accepted on a quiet timing of its own (or this set as a whole, beyond the noise);
            # only the whole program's figure is in doubt
            return Composed(ok=True, kept=[lp.loop_id for lp in active], files=files, dropped=dropped,
                            check=result, covered=covered, revoked=revoked)
        if result.passed:
            alternative = uncovered(kept, covered)
            if alternative is not None:
                other = compose_accepted(lab, work, cfg, base, alternative[0], log, proven)
                if other.ok and other.check is not None and other.check.speedup > result.speedup * TRIAL_GAIN:
                    why = (f"{', '.join(f'{k} attempt {n}' for k, n in alternative[1].items())} in place of a "
                           f"change that shut other loops' changes out: {other.check.speedup:.2f}x against "
                           f"{result.speedup:.2f}x")
                    log("compose", loops=other.kept, stage=other.check.stage, swapped=alternative[1],
                        speedup=other.check.speedup, instead=result.speedup, reason=why)
                    return replace(other, dropped=[*dropped, *other.dropped], revoked={**revoked, **other.revoked},
                                   swapped={**alternative[1], **other.swapped})
                files = apply_edits(fresh_copy(work / "orig", work / "final"), edits_of(active))  # the first set
            weakest = hurting(active, result) if not covered else None  # (a dropped group would hide its loops)
            if weakest is not None:
                smaller = without_weakest(lab, work, cfg, base, active, weakest, result, covered, log)
                if smaller is not None:
                    return Composed(ok=True, kept=[lp.loop_id for lp in active if lp is not weakest],
                                    files=smaller[1], dropped=[*dropped, smaller[2]], check=smaller[0],
                                    covered=covered, revoked=revoked)
                apply_edits(fresh_copy(work / "orig", work / "final"), edits_of(active))  # back to the full set
            return Composed(ok=True, kept=[lp.loop_id for lp in active], files=files, dropped=dropped,
                            check=result, covered=covered, revoked=revoked)
        racy = racing_loops(active, result)
        if racy:
            # a race inside an accepted loop: evidence against that change itself, whatever passed before
            for lp, why in racy:
                kept.remove(lp)
                revoked[lp.loop_id] = why
                dropped.append(Dropped(lp.loop_id, f"acceptance revoked: {why}"))
                log("revoke", loop=lp.loop_id, reason=why, stage="compose")
            continue
        # Changes that pass alone can interact: drop the most recently accepted one and try again.
        last = active[-1]
        kept.remove(last)
        dropped.append(Dropped(last.loop_id, f"the combined program failed at {result.stage}: {result.error}"))
    return Composed(ok=False, dropped=dropped, revoked=revoked)


def uncovered(kept: list[LoopResult], covered: dict[str, str]) -> tuple[list[LoopResult], dict[str, int]] | None:
    """When a kept change rewrites the lines of other kept loops (a fusion with the next loop; not a group, whose
    members are its own), the same set with that loop's best other accepted attempt, one that covers none of them,
    so their own changes apply too (2mm: the first product fused with the second beat the first product's tiling
    alone, 2.0x against 1.8x, but shut out the second product's tiling, and both tilings together are the faster
    program). None when no kept change covers another's or the covering loop has no such attempt."""
    ids = {lp.loop_id for lp in kept}
    for lp in kept:
        if lp.accepted is None or group_members(lp.accepted.proposal):
            continue
        # (a loop covered because it runs inside this one's parallel loop is not shut out by a rewrite)
        targets = [other.target for other in kept if covered.get(other.loop_id) == lp.loop_id
                   and other.loop_id in ids and rewrites_line_of(lp.accepted.proposal, other.target)]
        if not targets:
            continue
        free = [a for a in lp.attempts if a.accepted and not any(rewrites_line_of(a.proposal, t) for t in targets)]
        best = best_accepted(free)
        if best is not None:
            return [replace(x, accepted=best) if x is lp else x for x in kept], {lp.loop_id: best.number}
    return None


def racing_loops(active: list[LoopResult], result: Evidence) -> list[tuple[LoopResult, str]]:
    """The accepted loops a race of the composed program falls in (its lines mapped back to the original), each
    with why."""
    if result.stage != "race" or result.race is None:
        return []
    edits, out = edits_of(active), {}
    for race in result.race.races:
        for file, line in ((race.file, race.line), (race.other_file or race.file, race.other_line)):
            orig = original_line(edits, file, line)
            for lp in active:
                t = lp.target
                if orig is not None and t.file == file and t.line <= orig <= t.end_line and lp.loop_id not in out:
                    out[lp.loop_id] = (lp, f"the composed program races at {race.file}:{race.line} on "
                                           f"{race.variable or '?'} ({race.kind} with line {race.other_line}), "
                                           "inside this loop")
    return list(out.values())


def without_weakest(lab: Lab, work: Path, cfg: Config, base: Baseline, active: list[LoopResult],
                    weakest: LoopResult, result: Evidence, covered: dict[str, str],
                    log: Callable[..., object]) -> tuple[Evidence, list[str], Dropped] | None:
    """The set is clearly slower than its best change alone: one try without the change that gained least.
    Returns (evidence, files, why dropped) when that is faster by TRIAL_GAIN, else None."""
    rest = [lp for lp in active if lp is not weakest]
    files = apply_edits(fresh_copy(work / "orig", work / "final"), edits_of(rest))
    trial = lab.evidence(work, "final", cfg, base)
    log("compose", loops=[lp.loop_id for lp in rest], stage=trial.stage, error=trial.error,
        timing=trial.timing.to_dict() if trial.timing else None, covered=covered, without=weakest.loop_id)
    before, after = result.speedup, trial.speedup
    if trial.passed and after > before * TRIAL_GAIN:
        return trial, files, Dropped(weakest.loop_id, f"the whole program ran faster without it: {after:.2f}x "
                                                      f"without, {before:.2f}x with")
    return None


def hurting(active: list[LoopResult], result: Evidence) -> LoopResult | None:
    """The accepted change with the smallest gain alone, if the composed program is clearly slower than the best
    change alone (changes can interfere: a parallel initialisation moving data away from the threads that use it)."""
    if len(active) < 2:
        return None
    gains = [lp.speedup for lp in active]
    if result.speedup >= SLOWER_SET * max(gains):
        return None
    return active[gains.index(min(gains))]


def first_clash(loops: list[LoopResult]) -> LoopResult | None:
    """The first accepted loop whose edits start on a line an earlier one's edits already start on."""
    seen: set[tuple[str, int]] = set()
    for lp in loops:
        spots = {(e.file, e.start_line) for e in lp.accepted.proposal.edits}  # type: ignore[union-attr]
        if spots & seen:
            return lp
        seen |= spots
    return None


def why_skipped(t: LoopTarget, covered: dict[str, str], regions) -> tuple[str, dict] | None:
    """Why the run does not try target t once other changes are accepted, and the transcript field naming that
    change: an accepted group change covers it, or its time is spent in calls from the body of an accepted parallel
    loop (covered_by_groups, parallel_regions); None when it is to be tried."""
    if t.loop_id in covered:
        return f"covered by the accepted group change on the serial loop {covered[t.loop_id]}", \
            {"group": covered[t.loop_id]}
    outer = next((o for o in t.inside if o in regions), None)
    if outer is not None:
        return (f"runs in calls made from the body of `{outer}`, whose accepted change already runs them in parallel "
                "(a pragma here would open a nested team)", {"inside": outer})
    return None


def only_time(ev: Evidence) -> bool:
    """The set passed the race check, the output comparison and the tests, and its timing was measured, not
    slower, but not beyond the noise by min_speedup either."""
    t = ev.timing
    return ev.stage == "timing" and t is not None and t.measured and not t.unreliable and t.verdict != "slower" \
        and (t.speedup or 0.0) >= NOT_SLOWER


NOT_SLOWER = 0.99
"""A set whose median time is more than 1% over its reference's is not given to the loop timers, even within the
noise: a loop faster on its own may slow the code around it (its data now in another core's cache)."""


def retimed(loops: list[LoopResult], composed: Composed) -> list[LoopResult]:
    """The tentative changes compose dropped only because their set's timing stayed within the noise (it passed
    the race check, the output comparison and the tests, and was not slower)."""
    together = composed.together
    if together is None or not only_time(together):
        return []
    return [lp for lp in loops if lp.status == "tentative" and lp.accepted is not None
            and lp.loop_id not in composed.kept]


def fold_in(composed: Composed, again: list[LoopResult], results: list[LoopResult]) -> tuple[Composed, list[LoopResult]]:
    """The set's verdict on each retimed tentative change becomes the last attempt of that loop's own result
    (accepted on its own time, or given up), and an accepted one leaves the list of changes dropped in compose;
    the other results are returned."""
    mine = {lp.loop_id: lp for lp in again}
    rest = []
    for r in results:
        lp = mine.get(r.loop_id)
        if lp is None:
            rest.append(r)
            continue
        attempt = replace(r.attempts[-1], number=len(lp.attempts) + 1)
        lp.attempts.append(attempt)
        lp.status, lp.accepted = r.status, attempt if r.status == "accepted" else None
        lp.reason = f"tentative alone, its median a gain within the noise; {r.reason}"
    accepted = {lp.loop_id for lp in again if lp.status == "accepted"}
    return replace(composed, dropped=[d for d in composed.dropped if d.loop not in accepted]), rest
