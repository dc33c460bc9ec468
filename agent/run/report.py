"""The run's products: patch.diff, report.md, summary.json (the transcript is written as the run goes)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from hpcagent.errors import BadInput
from hpcagent.tools.loops.groups import group_members, is_group
from hpcagent.tools.loops.proposals import UNPROVEN_NOTE
from hpcagent.tools.patch import unified_diff


def write_outputs(state: dict, rt=None) -> dict:
    """Write the patch, the report and the summary into the run dir; return their paths."""
    run_dir = Path(state["run_dir"])
    work = run_dir / "work"
    composed = state.get("composed") or {}
    patch = unified_diff(work / "orig", work / "final", composed.get("files", [])) if composed.get("ok") else ""
    (run_dir / "patch.diff").write_text(patch)
    summary = summarize(state, composed)
    summary["model_usage"] = model_usage(run_dir / "transcript.jsonl")
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    (run_dir / "report.md").write_text(render_report(state, summary, patch))
    outputs = {name: str(run_dir / name) for name in ("patch.diff", "report.md", "summary.json", "transcript.jsonl")}
    if rt is not None:
        rt.transcript.event("outputs", **outputs, accepted=summary["accepted"])
    return {"outputs": outputs}


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


def summarize(state: dict, composed: dict) -> dict:
    """The machine-readable summary."""
    timing = ((composed.get("check") or {}).get("timing")) or {}
    kept = set(composed.get("kept", []))
    covered = composed.get("covered") or {}
    loops = []
    for lp in state.get("loops", []):
        t = lp["target"]
        loop_id = f"{t['file']}:{t['line']}"
        acc = lp.get("accepted") or {}
        tm = (acc.get("check") or {}).get("timing") or {}
        members = group_members(acc.get("proposal"))
        status = "accepted" if loop_id in kept else "covered_by_group" if loop_id in covered else \
            ("dropped_in_compose" if lp["status"] == "accepted" else lp["status"])
        loops.append({"loop": loop_id, "function": t.get("function"), "share": t.get("share"),
                      "status": status, "reason": lp["reason"], "attempts": len(lp["attempts"]),
                      "change": change_label(acc.get("proposal")) if acc else None,
                      **({"group": members} if members else {}),
                      **({"covered_by": covered[loop_id]} if loop_id in covered else {}),
                      "speedup": tm.get("speedup"), "speedup_min": tm.get("speedup_min"),
                      "speedup_max": tm.get("speedup_max"), "proof": proof_of(acc)})
    return {"run_id": state["run_id"], "repo": state["repo"], "tried": len(loops),
            "accepted": len(kept), "loops": loops,
            "baseline_seconds": (state.get("baseline") or {}).get("seconds"),
            "whole_program": {"speedup": timing.get("speedup"), "min": timing.get("speedup_min"),
                              "max": timing.get("speedup_max"), "median_serial": timing.get("median_a"),
                              "median_parallel": timing.get("median_b"), "threads": timing.get("threads")},
            "dropped_in_compose": composed.get("dropped", []),
            "profile_error": (state.get("profile") or {}).get("error")}


def _edit_text(edit: dict) -> str:
    return f"{edit['file']}:{edit['start_line']} `{' '.join(x.strip() for x in edit['new_text'].splitlines())}`"


def other_edits(proposal: dict) -> str:
    """' + file:line `text`' for each edit after a change's first (its pragma): a team's region at the call site,
    a privatized array's declaration; '' for a one-edit change."""
    return "".join(f" + {_edit_text(e)}" for e in proposal.get("edits", [])[1:])


def change_label(proposal: dict | None) -> str:
    """One line for a change: its pragma and any other edit, the loops and pragmas of a group, or 'rewrite'."""
    if not proposal:
        return "-"
    if is_group(proposal):
        parts = [_edit_text(e) for e in proposal.get("edits", [])]
        return f"{len(proposal['members'])} loop(s) together: " + ", ".join(parts)
    return (proposal.get("pragma") or "rewrite") + other_edits(proposal)


def proof_of(accepted: dict | None) -> str | None:
    """'static' or 'unproven' for an accepted attempt (see Proposal.proof); None when nothing was accepted."""
    if not accepted:
        return None
    return "unproven" if (accepted.get("proposal") or {}).get("proof") == "unproven" else "static"


def unproven_note(lp: dict) -> str:
    """The report's line for an accepted change the analysis did not prove."""
    acc = lp.get("accepted") or {}
    check = acc.get("check") or {}
    runs = ", ".join(f"{r['threads']} threads" for r in (check.get("race") or {}).get("runs", []))
    evidence = [f"race-free in the runs made ({runs or 'none'})"]
    evidence.append("tests pass" if check.get("test") else "no test command")
    evidence.append("output matches the original's")
    # the proposal names what was not proven (for a group, in one of its loops); else the target's own reason
    why = (acc.get("proposal") or {}).get("reason") or ""
    mark = why.find(UNPROVEN_NOTE + ": ")
    obstacle = why[mark + len(UNPROVEN_NOTE) + 2:].split("; left to")[0] if mark >= 0 else ""
    obstacle = obstacle or lp["target"].get("reason") or "a possible dependence"
    return (f"**Not proven by the analysis:** {obstacle}; accepted on the sandbox's evidence only: "
            f"{', '.join(evidence)}.")


def render_report(state: dict, summary: dict, patch: str) -> str:
    """The human report: per loop, the verdict, the evidence and every attempt."""
    w = summary["whole_program"]
    lines = [f"# hpcagent report: {state['repo']}", "",
             f"Run `{state['run_id']}`; configuration from {state.get('config_origin', '?')}.", ""]
    if summary["accepted"]:
        lines.append(f"**{summary['accepted']} change(s) accepted.** Whole program at {w['threads']} threads: "
                     f"**{w['speedup']:.2f}x** (min {w['min']:.2f}, max {w['max']:.2f}; median "
                     f"{w['median_serial']:.3f} s -> {w['median_parallel']:.3f} s).")
        unproven = [lp["loop"] for lp in summary["loops"] if lp["status"] == "accepted" and lp.get("proof") == "unproven"]
        if unproven:
            lines.append(f"{len(unproven)} of them not proven by the analysis (accepted on the sandbox's evidence "
                         f"only): {', '.join(f'`{x}`' for x in unproven)}.")
    else:
        lines.append("**No change accepted.** The original code is left as it is; the reasons are below.")
    use = summary.get("model_usage") or {}
    if use.get("calls"):
        lines += ["", f"Language model: {use['calls']} call(s), {use['tokens_in']} tokens in, {use['tokens_out']} "
                      f"out, {use['seconds']:.1f} s."]
    prof = state.get("profile") or {}
    lines += ["", "## Where the time goes", ""]
    if "error" in prof:
        lines.append(f"No profile ({prof['error']}); loops were ranked statically (lizard metrics, loop depth).")
    else:
        lines.append(f"gprof sampled {prof.get('seconds', 0):.2f} s. Loops tried, hottest first:")
        for s in prof.get("skipped", []):
            lines.append(f"- not tried: `{s['loop']}`: {s['reason']}")
    lines += ["", "| loop | function | share of time | verdict | speedup (min-max) | attempts |",
              "|---|---|---|---|---|---|"]
    for lp in summary["loops"]:
        share = f"{lp['share'] * 100:.1f}%" if lp["share"] is not None else "n/a"
        sp = f"{lp['speedup']:.2f}x ({lp['speedup_min']:.2f}-{lp['speedup_max']:.2f})" if lp["speedup"] else "-"
        status = lp["status"] + (" (unproven)" if lp.get("proof") == "unproven" else "")
        lines.append(f"| `{lp['loop']}` | {lp['function']} | {share} | {status} | {sp} | {lp['attempts']} |")
    for lp in state.get("loops", []):
        t = lp["target"]
        lines += ["", f"## `{t['file']}:{t['line']}` in {t.get('function')}: {lp['status']}", "",
                  f"Analysis: {t.get('verdict')} — {t.get('reason')}", "", f"Outcome: {lp['reason']}"]
        if lp["status"] == "accepted" and proof_of(lp.get("accepted")) == "unproven":
            lines += ["", unproven_note(lp)]
        if is_group((lp.get("accepted") or {}).get("proposal")):
            lines += ["", "Change (one group, accepted together): " + change_label(lp["accepted"]["proposal"])]
        for a in lp["attempts"]:
            p, v, c = a["proposal"], a["verdict"], a["check"]
            race = c.get("race") or {}
            runs = ", ".join(f"{r['threads']}t:{r['races']} races" if r["ok"] else f"{r['threads']}t:failed"
                             for r in race.get("runs", []))
            label = change_label(p) if is_group(p) else f"`{p.get('pragma') or 'source rewrite'}`" + other_edits(p)
            mark = ", not proven by the analysis" if p.get("proof") == "unproven" else ""
            lines += ["", f"### attempt {a['number']} ({p.get('source')}{mark}): {label}",
                      "", f"- rationale: {p.get('reason')}",
                      f"- race check: {runs or 'not run'}",
                      f"- stage reached: {c.get('stage')}" + (f" ({c.get('error')})" if c.get("error") else "")]
            if c.get("test"):
                lines.append(f"- tests: {'pass' if c['test']['ok'] else 'FAIL'}")
            if c.get("timing") and "speedup" in c["timing"]:
                tm = c["timing"]
                lines.append(f"- timing ({tm['reps']} interleaved runs each, {tm['threads']} threads): "
                             f"{tm['median_a']:.3f} s -> {tm['median_b']:.3f} s, {tm['speedup']:.2f}x "
                             f"(min {tm['speedup_min']:.2f}, max {tm['speedup_max']:.2f}), {tm['verdict']}")
            lines.append(f"- verdict: **{v['action']}** — {v['feedback']['kind']}: {v['feedback']['evidence']}"
                         + (f" Suggestion: {v['feedback']['suggestion']}" if v["feedback"].get("suggestion") else ""))
    for loop, group in (state.get("composed") or {}).get("covered", {}).items():
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
