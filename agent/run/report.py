"""The run's products: patch.diff, report.md, summary.json (the transcript is written as the run goes)."""

from __future__ import annotations

import difflib
import json
import subprocess
import tempfile
from pathlib import Path

from hpcagent.agent.run.compose import covered_by_groups, parallel_regions, why_skipped
from hpcagent.agent.run.loop_times import own_time_lines
from hpcagent.errors import BadInput
from hpcagent.evidence import Baseline, RaceCheck, Timing
from hpcagent.records import Attempt, Composed, Edit, LoopResult, LoopTarget, Proposal
from hpcagent.tools.loops.groups import group_members, is_group
from hpcagent.tools.loops.proposals import UNPROVEN_NOTE
from hpcagent.tools.patch import unified_diff


def write_outputs(state: dict, ctx=None) -> dict:
    """Write the patch, the report and the summary into the run dir; return their paths. ctx: the RunContext,
    whose transcript records the outputs."""
    run_dir = Path(state["run_dir"])
    work = run_dir / "work"
    composed = Composed.from_dict(state.get("composed")) or Composed(ok=False)
    loops = [LoopResult.from_dict(lp) for lp in state.get("loops") or []]
    patch = unified_diff(work / "orig", work / "final", composed.files) if composed.ok else ""
    (run_dir / "patch.diff").write_text(patch)
    summary = summarize(state, loops, composed)
    summary["model_usage"] = model_usage(run_dir / "transcript.jsonl")
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    (run_dir / "report.md").write_text(render_report(state, loops, composed, summary, patch))
    outputs = {name: str(run_dir / name) for name in ("patch.diff", "report.md", "summary.json", "transcript.jsonl")}
    if ctx is not None:
        ctx.transcript.event("outputs", **outputs, accepted=summary["accepted"])
    return {"outputs": outputs}


def untried_targets(state: dict, loops: list[LoopResult]) -> list[tuple[LoopTarget, str]]:
    """The targets the run never tried, and why (as the select step skipped them, else the budget ran out)."""
    tried = {lp.loop_id for lp in loops}
    covered, regions = covered_by_groups(loops), parallel_regions(loops)
    out = []
    for t in map(LoopTarget.from_dict, state.get("targets") or []):
        if t.loop_id in tried:
            continue
        skip = why_skipped(t, covered, regions)
        out.append((t, skip[0] if skip is not None else "not reached: the run's wall budget ran out first"))
    return out


def model_usage(transcript: Path) -> dict:
    """Totals over the run's model calls, read from the transcript (so resumed runs count every call)."""
    calls = tokens_in = tokens_out = 0
    seconds = 0.0
    if transcript.exists():
        for line in transcript.read_text().splitlines():
            try:
                e = json.loads(line)
            except json.JSONDecodeError:
                continue
            if e.get("kind") == "model_call":
                calls += 1
                tokens_in += e.get("tokens_in") or 0
                tokens_out += e.get("tokens_out") or 0
                seconds += e.get("latency") or 0.0
    return {"calls": calls, "tokens_in": tokens_in, "tokens_out": tokens_out, "seconds": round(seconds, 2)}


def summarize(state: dict, loops: list[LoopResult], composed: Composed) -> dict:
    """The machine-readable summary (summary.json)."""
    timing = (composed.check.timing if composed.check else None) or Timing()
    kept = set(composed.kept)
    rows = []
    for lp in loops:
        t, acc, loop = lp.target, lp.accepted, lp.loop_id
        tm = (acc.check.timing if acc else None) or Timing()
        members = group_members(acc.proposal) if acc else []
        status = "accepted" if loop in kept else ("inside_parallel_loop" if composed.covered.get(loop) in t.inside
                                                  else "covered_by_group") if loop in composed.covered else \
            ("dropped_in_compose" if lp.status == "accepted" else "given_up" if lp.status == "tentative"
             else lp.status)
        rows.append({"loop": loop, "function": t.function, "share": t.share,
                     "status": status, "reason": lp.reason, "attempts": len(lp.attempts),
                     "change": change_label(acc.proposal) if acc else None,
                     **({"group": members} if members else {}),
                     **({"covered_by": composed.covered[loop]} if loop in composed.covered else {}),
                     "speedup": tm.speedup, "speedup_min": tm.speedup_min,
                     "speedup_max": tm.speedup_max, "proof": proof_of(acc),
                     **({"together": True} if loop in composed.confirmed else {}),
                     **({"remainder": True} if loop in composed.remainder else {}),
                     **({"own_time": composed.loop_times[loop]} if loop in composed.loop_times else {})})
    return {"run_id": state["run_id"], "repo": state["repo"], "tried": len(rows),
            "accepted": len(kept), "loops": rows,
            "baseline_seconds": (state.get("baseline") or {}).get("seconds"),
            "whole_program": {"speedup": timing.speedup, "min": timing.speedup_min,
                              "max": timing.speedup_max, "median_serial": timing.median_a,
                              "median_parallel": timing.median_b, "threads": timing.threads,
                              **({"unreliable": timing.unreliable} if timing.unreliable else {}),
                              **({"within_noise": True} if kept and timing.verdict == "within noise" else {})},
            "dropped_in_compose": [d.to_dict() for d in composed.dropped],
            **({"remainder": remainder_summary(composed)} if composed.remainder else {}),
            "profile_error": (state.get("profile") or {}).get("error")}


def remainder_summary(composed: Composed) -> dict:
    """The small loops accepted as a set on top of the others, and that set's timing against the program with
    those others (agent/run/remainder.py)."""
    t = (composed.remainder_check.timing if composed.remainder_check else None) or Timing()
    return {"loops": composed.remainder, "speedup_over_composed": t.speedup, "min": t.speedup_min,
            "max": t.speedup_max}


def _edit_text(edit: Edit) -> str:
    return f"{edit.file}:{edit.start_line} `{' '.join(x.strip() for x in edit.new_text.splitlines())}`"


def other_edits(proposal: Proposal) -> str:
    """' + file:line `text`' for each edit after a change's first (its pragma): a team's region at the call site,
    a privatized array's declaration; '' for a one-edit change."""
    return "".join(f" + {_edit_text(e)}" for e in proposal.edits[1:])


def change_label(proposal: Proposal | dict | None) -> str:
    """One line for a change (a Proposal or its dict, as the transcript has it): its pragma and any other edit,
    the loops and pragmas of a group, or 'rewrite'."""
    if not proposal:
        return "-"
    proposal = Proposal.from_dict(proposal)
    if is_group(proposal):
        parts = [_edit_text(e) for e in proposal.edits]
        return f"{len(proposal.members)} loop(s) together: " + ", ".join(parts)
    return (proposal.pragma or "rewrite") + other_edits(proposal)


def proof_of(accepted: Attempt | None) -> str | None:
    """'static' or 'unproven' for an accepted attempt (see Proposal.proof); None when nothing was accepted."""
    if accepted is None:
        return None
    return "unproven" if accepted.proposal.proof == "unproven" else "static"


def views_lines(read: dict | None) -> list[str]:
    """What the analysis read: the sources as the compiler saw them, or as written (and why)."""
    if not read:
        return []
    out = []
    if read["preprocessed"]:
        out.append(f"- analysed as the compiler sees them (preprocessed with the build's own commands: macros "
                   f"expanded, inactive `#if` branches left out): {', '.join(f'`{f}`' for f in read['preprocessed'])}")
    out += [f"- analysed as written: `{rel}`: {why}" for rel, why in read["raw"].items()]
    return out


def compared_lines(base: Baseline | None) -> list[str]:
    """The report's account of what the evidence compared: output left out (timings, what changed between the
    original's own runs, the user's ignore patterns), and the project's flags a compiler dropped or ignores."""
    if base is None:
        return []
    out = []
    for name in sorted(base.masks):
        m = base.mask(name)
        where = {"stdout": "the run's output", "race": "the race-check input's output"}.get(name, f"`{name}`")
        if m.ignore or m.only:
            out.append(f"- {where}: " + "; ".join(
                ([f"lines matching {', '.join(f'`{p}`' for p in m.ignore)} ignored (test.ignore)"] if m.ignore else [])
                + ([f"only lines matching {', '.join(f'`{p}`' for p in m.only)} (test.only)"] if m.only else [])))
        out += [f"- {where}, not compared: {note}" for note in m.notes]
    names = {"release": "the timed build", "race": "the race build (clang-16)"}
    for variant, kinds in sorted(base.flags.items()):
        if kinds.get("dropped"):
            out.append(f"- {names.get(variant, variant)} dropped flags its compiler refuses: "
                       + ", ".join(f"`{f}`" for f in kinds["dropped"]))
        if kinds.get("ignored"):
            out.append(f"- {names.get(variant, variant)}: its compiler ignores "
                       + ", ".join(f"`{f}`" for f in kinds["ignored"]))
    return ["", "## What the evidence compares", "",
            "Outputs are compared line by line with the original's (numbers within test.rtol/atol).", *out] \
        if out else []


def race_runs(race: RaceCheck | None) -> str:
    """e.g. '12 runs at 1, 2, 3, 4 threads, 6 of them with schedules static,1, dynamic,1'."""
    runs = race.runs if race else []
    if not runs:
        return "no run"
    counts = ", ".join(str(n) for n in sorted({r.threads for r in runs}))
    scheduled = [r for r in runs if r.schedule]
    kinds = ", ".join(dict.fromkeys(r.schedule for r in scheduled))
    return f"{len(runs)} runs at {counts} threads" + (f", {len(scheduled)} of them with schedules {kinds}"
                                                       if scheduled else "")


def unproven_note(lp: LoopResult) -> str:
    """The report's line for an accepted change the analysis did not prove."""
    acc = lp.accepted
    assert acc is not None
    check = acc.check
    evidence = [f"race-free in {race_runs(check.race)}"]
    evidence.append("tests pass" if check.test else "no test command")
    evidence.append("output matches the original's")
    # the proposal names what was not proven (for a group, in one of its loops); else the target's own reason
    why = acc.proposal.reason or ""
    mark = why.find(UNPROVEN_NOTE + ": ")
    obstacle = why[mark + len(UNPROVEN_NOTE) + 2:].split("; left to")[0] if mark >= 0 else ""
    obstacle = obstacle or lp.target.reason or "a possible dependence"
    return (f"**Not proven by the analysis:** {obstacle}; accepted on the sandbox's evidence only: "
            f"{', '.join(evidence)}.")


def render_report(state: dict, loops: list[LoopResult], composed: Composed, summary: dict, patch: str) -> str:
    """The human report: per loop, the verdict, the evidence and every attempt."""
    w = summary["whole_program"]
    lines = [f"# hpcagent report: {state['repo']}", "",
             f"Run `{state['run_id']}`; configuration from {state.get('config_origin', '?')}.", ""]
    if summary["accepted"]:
        lines.append(f"**{summary['accepted']} change(s) accepted.** Whole program at {w['threads']} threads: "
                     f"**{w['speedup']:.2f}x** (min {w['min']:.2f}, max {w['max']:.2f}; median "
                     f"{w['median_serial']:.3f} s -> {w['median_parallel']:.3f} s).")
        if w.get("unreliable"):
            lines.append(f"**That whole-program figure is unreliable**: {w['unreliable']}. Each change was accepted "
                         "on a timing of its own taken on a quiet machine.")
        elif w.get("within_noise") and composed.loop_times:
            lines.append("This final timing of the whole program was within the noise: the loops accepted on their own "
                         "time (below) do not show in it; build, race check, output and "
                         "tests were run on this program and passed.")
        elif w.get("within_noise"):
            lines.append("This final timing of the whole program was within the noise. It is the same program as "
                         "the change (or set of changes) accepted on a timing beyond the noise, which stands; "
                         "build, race check, output and tests were run again on it and passed.")
        for key, check, what in (
                ("together", composed.together, "accepted together, not alone: each was within the noise by itself; "
                                                "applied as a set they made the program"),
                ("remainder", composed.remainder_check, "each too small to clear min_speedup alone, accepted as one "
                                                        "set on top of the other changes: timed against the program "
                                                        "with those changes, the set made it")):
            ids = [lp["loop"] for lp in summary["loops"] if lp.get(key) and not lp.get("own_time")]
            if ids and check is not None and check.timing is not None:
                t = check.timing
                lines.append(f"{len(ids)} of them {what} {t.speedup:.2f}x faster (min {t.speedup_min:.2f}, max "
                             f"{t.speedup_max:.2f}), beyond the noise: " + ", ".join(f"`{x}`" for x in ids) + ".")
        lines += own_time_lines(summary["loops"])
        unproven = [lp["loop"] for lp in summary["loops"] if lp["status"] == "accepted" and lp.get("proof") == "unproven"]
        if unproven:
            lines.append(f"{len(unproven)} of them not proven by the analysis (accepted on the sandbox's evidence "
                         f"only): {', '.join(f'`{x}`' for x in unproven)}.")
    else:
        lines.append("**No change accepted.** The original code is left as it is; the reasons are below.")
    busy = [lp for lp in summary["loops"] if lp["status"] == "unmeasured"]
    if busy:
        names = ", ".join(f"`{lp['loop']}`" for lp in busy)
        lines.append(f"**{len(busy)} loop(s) not judged: the machine was busy during their timings** ({names}); "
                     "rerun them on a quiet machine.")
    use = summary.get("model_usage") or {}
    if use.get("calls"):
        lines += ["", f"Language model: {use['calls']} call(s), {use['tokens_in']} tokens in, {use['tokens_out']} "
                      f"out, {use['seconds']:.1f} s."]
    prof = state.get("profile") or {}
    lines += ["", "## Where the time goes", ""]
    if "error" in prof:
        lines.append(f"**No profile**: {prof['error']}. Loops were ranked statically (lizard metrics, loop depth), "
                     "and only those the run executes (line coverage of the race-check input) were kept.")
    else:
        cpu = f" over {prof['seconds']:.2f} s of CPU time" if prof.get("seconds") else ""
        lines.append(f"{prof.get('samples', 0)} call stacks sampled{cpu}; loops ranked by inclusive time (their "
                     "callees' time counts). Loops tried, hottest first:")
    lines += views_lines(prof.get("views"))
    tried = {lp.loop_id for lp in loops}  # (a loop too small alone may have been tried in the remainder set)
    lines += [f"- not tried: `{s['loop']}`: {s['reason']}" for s in prof.get("skipped", []) if s["loop"] not in tried]
    lines += [f"- not tried: `{t.loop_id}`: {why}" for t, why in untried_targets(state, loops)]
    for o in prof.get("outside", []):  # only a profile has them
        lines.append(f"- in no loop the analysis read: `{o['line']}`, {o['share']:.1%} of the samples (straight-line "
                     "code, or a loop hidden from the analysis, e.g. inside a macro)")
    lines += compared_lines(Baseline.from_dict(state.get("baseline")))
    lines += ["", "| loop | function | share of time | verdict | speedup (min-max) | attempts |",
              "|---|---|---|---|---|---|"]
    for lp in summary["loops"]:
        share = f"{lp['share'] * 100:.1f}%" if lp["share"] is not None else "n/a"
        own = lp.get("own_time") or {}  # a loop accepted on its own time: that speedup, the loop's alone
        t = {k: own.get(k) for k in ("speedup", "speedup_min", "speedup_max")} if own else lp
        sp = f"{t['speedup']:.2f}x ({t['speedup_min']:.2f}-{t['speedup_max']:.2f})" if t["speedup"] else "-"
        status = lp["status"] + (" (unproven)" if lp.get("proof") == "unproven" else "") + \
            (" (together)" if lp.get("together") else "") + \
            ((" (own time)" if lp["attempts"] > 1 else " (small, own time)") if own  # (a retimed tentative change)
             else " (small, as a set)" if lp.get("remainder") else "")
        lines.append(f"| `{lp['loop']}` | {lp['function']} | {share} | {status} | {sp} | {lp['attempts']} |")
    final = {row["loop"]: row["status"] + (" (together)" if row.get("together") else "") for row in summary["loops"]}
    for lp in loops:
        t = lp.target
        lines += ["", f"## `{lp.loop_id}` in {t.function}: {final.get(lp.loop_id, lp.status)}", "",
                  f"Analysis: {t.verdict} — {t.reason}", "", f"Outcome: {lp.reason}"]
        if lp.status == "accepted" and proof_of(lp.accepted) == "unproven":
            lines += ["", unproven_note(lp)]
        if lp.accepted is not None and is_group(lp.accepted.proposal):
            lines += ["", "Change (one group, accepted together): " + change_label(lp.accepted.proposal)]
        for a in lp.attempts:
            lines += attempt_lines(a, lp.loop_id, Path(state["run_dir"]) / "work" / "orig")
    inside = {lp.loop_id: lp.target.inside for lp in loops}
    for loop, group in composed.covered.items():
        if group in inside.get(loop, []):
            lines += ["", f"Runs inside a parallel loop: `{loop}` was accepted alone too, but its time is spent in "
                          f"calls made from the body of `{group}`, whose accepted change already runs them in "
                          "parallel; its own pragma would only open a nested team, so it is not applied."]
            continue
        lines += ["", f"Covered by a group: `{loop}` was accepted alone too; the accepted group change on "
                      f"`{group}` already makes it parallel, so its own edit is not applied again."]
    for d in summary["dropped_in_compose"]:
        lines += ["", f"Dropped when composing: `{d['loop']}`: {d['reason']}"]
    lines += ["", "## Patch", "", "```diff", patch.rstrip() or "(empty)", "```", "",
              "Rerun the evidence: `hpcagent check` on the patched tree, or `hpcagent resume "
              f"{state['run_id']}` to print this run again.", ""]
    return "\n".join(lines)


def apply_to_branch(repo: Path, patch: str, run_id: str) -> str:
    """Commit the patch on a new branch `hpcagent/RUN` via a temporary worktree; the checkout is not touched."""
    repo = Path(repo)
    if subprocess.run(["git", "-C", str(repo), "rev-parse", "--git-dir"], capture_output=True).returncode != 0:
        raise BadInput(f"--apply needs a git repository; {repo} is not one", "apply patch.diff by hand")
    branch = f"hpcagent/{run_id}"
    with tempfile.TemporaryDirectory(prefix="hpcagent-wt-") as tmp:
        wt = Path(tmp) / "wt"
        steps = [["git", "-C", str(repo), "worktree", "add", "-q", "-b", branch, str(wt), "HEAD"],
                 ["git", "-C", str(wt), "apply", "--index", "-"],
                 ["git", "-C", str(wt), "-c", "user.name=hpcagent", "-c", "user.email=hpcagent@localhost",
                  "commit", "-q", "-m", f"hpcagent {run_id}: OpenMP parallelization (see report.md)"]]
        try:
            for cmd in steps:
                proc = subprocess.run(cmd, input=patch if "apply" in cmd else None, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise BadInput(f"git failed: {' '.join(cmd[3:])}: {proc.stderr.strip()}",
                                   "the patch is made against your working tree: commit it first, "
                                   "or apply patch.diff by hand")
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(wt)], capture_output=True)
    return branch


def rewrite_lines(p: Proposal, orig: Path | None) -> list[str]:
    """For a loop-order, tiling or distribution rewrite: the nest as written beside the rewritten one (a diff of the
    lines it replaces, read from the run's copy of the original), so the legality argument above it can be checked
    against the code."""
    if p.locality in ("", "simd") or orig is None or not p.edits:
        return []  # (an omp simd change only inserts directives: its label lists them all)
    e = p.edits[0]
    try:
        old = (orig / e.file).read_text().splitlines()[e.start_line - 1: e.end_line]
    except OSError:
        return []
    diff = difflib.unified_diff(old, e.new_text.rstrip("\n").splitlines(), f"{e.file} (written)",
                                f"{e.file} ({p.locality})", n=len(old) + 20, lineterm="")
    return ["- the nest as written and as rewritten:", "", "```diff", *diff, "```"]


def attempt_lines(a: Attempt, target: str = "", orig: Path | None = None) -> list[str]:
    """One attempt in the report: the change (and where, when that is not the target loop), its rationale and
    evidence, the verdict. orig: the run's copy of the original tree (for a rewrite's before and after)."""
    p, v, c = a.proposal, a.verdict, a.check
    runs = race_runs(c.race) if c.race and c.race.runs else ""
    if c.race and c.race.runs:
        bad = [f"{r.threads}t" + (f" {r.schedule}" if r.schedule else "") + (f": {r.races} race reports" if r.ok
                                                                               else ": failed")
               for r in c.race.runs if r.races or not r.ok]
        runs += ": " + ("; ".join(bad) if bad else "no race")
    label = change_label(p) if is_group(p) else f"`{p.pragma or 'source rewrite'}`" + other_edits(p)
    if p.locality:
        label = f"{p.locality} rewrite with {label}"
    mark = ", not proven by the analysis" if p.proof == "unproven" else ""
    here = f"{p.file}:{p.line}"
    if target and here != target and not is_group(p):
        label += f" on `{here}`, not on the target loop itself"
    lines = ["", f"### attempt {a.number} ({p.source}{mark}): {label}",
             "", f"- rationale: {p.reason}", *rewrite_lines(p, orig),
             f"- race check: {runs or 'not run'}"
             + (f" (the race-check input never entered {', '.join(c.unexecuted)})" if c.unexecuted else ""),
             f"- stage reached: {c.stage}" + (f" ({c.error})" if c.error else "")]
    if c.test:
        lines.append(f"- tests: {'pass' if c.test.ok else 'FAIL'}")
    tm = c.timing
    if tm is not None and tm.measured:
        lines.append(f"- timing ({tm.reps} interleaved runs each, {tm.threads} threads): "
                     f"{tm.median_a:.3f} s -> {tm.median_b:.3f} s, {tm.speedup:.2f}x "
                     f"(min {tm.speedup_min:.2f}, max {tm.speedup_max:.2f}), {tm.verdict}")
    fb = v.feedback
    lines.append(f"- verdict: **{v.action}** — {fb.kind}: {fb.evidence}"
                 + (f" Suggestion: {fb.suggestion}" if fb.suggestion else ""))
    if a.revoked:
        lines.append(f"- **revoked**: {a.revoked}")
    return lines
