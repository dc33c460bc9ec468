"""A run's transcript as steps a reviewer walks one at a time, each with the evidence behind it.

One step per event that says something (a phase marker or an edit's application is folded into its neighbour).
Each step has a one-line title for the list, an outcome (which colours it: accepted, failed, slower, info) and
sections for the detail pane: the proposal and its rationale, the diff against the original, compiler diagnostics,
each race with both accesses in their source context, the timing samples with the noise band, the critic's
feedback, and model prompts and answers. The terminal UI (tui.py) and the HTML page (html.py) render the same
sections.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpcagent.agent.run.transcript import read_transcript
from hpcagent.errors import HpcAgentError
from hpcagent.records import Edit
from hpcagent.tools.patch import apply_to_text

FAILED_STAGES = {"build", "race", "output", "test", "veto", "apply", "run", "baseline", "race_build"}
SKIPPED_KINDS = {"phase", "apply"}


@dataclass
class Section:
    """One part of a step's detail. kind: text | diff | code | timing | race | messages."""

    title: str
    kind: str
    body: Any
    lang: str = ""


@dataclass
class Step:
    index: int
    seq: int
    kind: str
    phase: str
    loop: str
    attempt: int | None
    title: str
    outcome: str
    """accepted | failed | slower | info | running."""
    sections: list[Section] = field(default_factory=list)
    event: dict = field(default_factory=dict)

    @property
    def is_verdict(self) -> bool:
        return self.kind in ("verdict", "veto", "revoke", "compose")

    @property
    def is_failure(self) -> bool:
        return self.outcome == "failed"


class RunView:
    """A run folder read for review: its meta, its events and the original sources (work/orig) for diffs and race
    context. `refresh()` reads events appended since (a run in progress)."""

    def __init__(self, run_dir: Path):
        self.dir = Path(run_dir)
        self.meta = json.loads((self.dir / "run.json").read_text())
        self.events: list[dict] = []
        self.steps: list[Step] = []
        self._phase = "start"
        self._proposals: dict[tuple[str, int], dict] = {}
        self._targets: dict[str, dict] = {}
        self.refresh()

    @property
    def orig(self) -> Path:
        return self.dir / "work" / "orig"

    def summary(self) -> dict | None:
        path = self.dir / "summary.json"
        return json.loads(path.read_text()) if path.exists() else None

    def refresh(self) -> int:
        """Read new events; return how many steps were added."""
        path = self.dir / "transcript.jsonl"
        events = read_transcript(path) if path.exists() else []
        new = events[len(self.events):]
        self.events = events
        before = len(self.steps)
        for e in new:
            step = self._step(e)
            if step is not None:
                self.steps.append(step)
        return len(self.steps) - before

    # --- sources ---
    def source_lines(self, file: str, edits: list[Edit] | None = None) -> list[str]:
        path = self.orig / file
        if not path.is_file():
            return []
        text = path.read_text(errors="replace")
        if edits:
            try:
                text = apply_to_text(text, [e for e in edits if e.file == file], file)
            except HpcAgentError:
                pass
        return text.splitlines()

    def diff(self, proposal: dict) -> str:
        edits = [Edit(**e) for e in proposal.get("edits", [])]
        out = []
        for file in sorted({e.file for e in edits}):
            before = self.source_lines(file)
            after = self.source_lines(file, edits)
            out += difflib.unified_diff(before, after, f"a/{file}", f"b/{file}", n=3, lineterm="")
        return "\n".join(out)

    def context(self, file: str, line: int, edits: list[Edit] | None, around: int = 3) -> dict:
        lines = self.source_lines(file, edits)
        lo, hi = max(1, line - around), min(len(lines), line + around)
        return {"file": file, "line": line, "start": lo, "lines": lines[lo - 1:hi]}

    # --- events to steps ---
    def _step(self, e: dict) -> Step | None:
        kind = e.get("kind", "?")
        if kind == "phase":
            self._phase = e.get("phase", self._phase)
            return None
        if kind in SKIPPED_KINDS:
            return None
        loop = e.get("loop", "")
        attempt = e.get("attempt")
        build = getattr(self, f"_on_{kind}", None)
        title, outcome, sections = build(e) if build else (kind.replace("_", " "), "info", [_raw(e)])
        where = f"{loop} " if loop else ""
        head = f"#{attempt} " if attempt else ""
        return Step(len(self.steps), e.get("seq", 0), kind, self._phase, loop, attempt,
                    f"{where}{head}{title}".strip(), outcome, sections, e)

    def _on_start(self, e):
        return (f"start: planner {e.get('planner')}, critic {e.get('critic')}, sandbox {e.get('sandbox')}", "info",
                [Section("run", "text", f"run {e.get('run_id')} of {self.meta.get('repo')}\n"
                                        f"configuration from {self.meta.get('config_origin', '?')}")])

    _on_resume = _on_start

    def _on_targets(self, e):
        targets = e.get("targets", [])
        prof = e.get("profile") or {}
        for t in targets:
            self._targets[f"{t['file']}:{t['line']}"] = t
        rows = [f"{t['file']}:{t['line']} in {t['function']}: "
                f"{'%.1f%%' % (t['share'] * 100) if t.get('share') is not None else 'n/a'} of the time, "
                f"analysis {t['verdict']} ({t.get('reason', '')})" for t in targets]
        skipped = [f"not tried: {s['loop']}: {s['reason']}" for s in prof.get("skipped", [])]
        text = "\n".join(rows + skipped) or "no loop to try"
        sections = [Section("loops to try, hottest first", "text", text)]
        if "error" in prof:
            sections.insert(0, Section("no profile", "text", prof["error"]))
        elif prof.get("functions"):
            sections.append(Section("profile", "profile", {"functions": prof["functions"],
                                                            "samples": prof.get("samples", 0)}))
        read = prof.get("views")
        if read:
            sections.append(Section("sources read", "text",
                                    "\n".join([f"preprocessed: {', '.join(read['preprocessed']) or 'none'}"] +
                                              [f"as written: {k}: {v}" for k, v in read["raw"].items()])))
        return f"discover: {len(targets)} loop(s) to try", "info", sections

    def _on_baseline(self, e):
        runs = e.get("runs") or []
        text = (f"original run: {e.get('seconds', 0):.3f} s; tests: "
                f"{'passed' if (e.get('test') or {}).get('ok') else 'n/a' if not e.get('test') else 'FAILED'}; "
                f"{len(e.get('races') or [])} pre-existing race(s) in {len(runs)} race-check run(s)")
        return "baseline", "info", [Section("baseline", "text", text)]

    def _on_target(self, e):
        share = e.get("share")
        return (f"target: {e.get('function')}() {'%.1f%%' % (share * 100) if share is not None else ''}, "
                f"analysis {e.get('verdict')}", "info",
                [Section("target", "text", json.dumps({k: v for k, v in e.items() if k not in ('v', 'seq', 'ts')},
                                                      indent=1))])

    def _on_proposal(self, e):
        prop = e.get("proposal")
        if not prop:
            return f"{e.get('planner')}: nothing left to propose", "info", []
        self._proposals[(e.get("loop", ""), e.get("attempt") or 0)] = prop
        label = prop.get("pragma") or f"rewrite of {prop['file']}:{prop['line']}-{prop['end_line']}"
        here = f"{prop['file']}:{prop['line']}"
        where = "" if here == e.get("loop") else f" on {here}, inside the target {e.get('loop')}"
        facts = [f"planner: {e.get('planner')} ({prop.get('source', '')})", f"change: {label}{where}",
                 f"proof: {prop.get('proof')} (confidence {prop.get('confidence')})"]
        if prop.get("members"):
            facts.append("together with: " + ", ".join(prop["members"]))
        sections = [Section("proposal", "text", "\n".join(facts)),
                    Section("rationale", "text", prop.get("reason") or "(none given)")]
        diff = self.diff(prop)
        if diff:
            sections.append(Section("diff", "diff", diff))
        return f"proposed: {label}{where}", "info", sections

    def _on_veto(self, e):
        return "refused before the sandbox", "failed", [Section("veto", "text", e.get("reason", ""))]

    def _on_check(self, e):
        stage = e.get("stage", "?")
        timing = e.get("timing") or {}
        if stage == "passed":
            outcome = "accepted"
        elif stage in ("timing", "unreliable"):
            outcome = "slower"
        else:
            outcome = "failed" if stage in FAILED_STAGES or e.get("error") else "info"
        prop = self._proposals.get((e.get("loop", ""), e.get("attempt") or 0)) or {}
        edits = [Edit(**x) for x in prop.get("edits", [])]
        sections = [Section("evidence", "text", f"stage reached: {stage}" + (f"\n{e['error']}" if e.get("error")
                                                                               else ""))]
        for name in ("race", "build"):
            block = e.get(name) or {}
            build = block.get("build", block) if name == "race" else block
            diags = build.get("diagnostics") or []
            if diags:
                sections.append(Section(f"compiler ({name} build)", "text", "\n".join(
                    f"{d.get('file')}:{d.get('line')}:{d.get('column')}: {d.get('severity')}: {d.get('message')}"
                    for d in diags[:30])))
            elif build and not build.get("ok", True):
                sections.append(Section(f"{name} build failed", "text", (build.get("log") or "")[-3000:]))
        race = e.get("race") or {}
        for r in race.get("races") or []:
            sections.append(Section(f"race on {r.get('variable') or r.get('location_name') or '?'} "
                                    f"({r.get('kind', '')}, {r.get('source', 'dynamic')})", "race", {
                                        "summary": r.get("summary", ""),
                                        "first": self.context(r["file"], r["line"], edits),
                                        "second": self.context(r.get("other_file") or r["file"],
                                                               r.get("other_line") or r["line"], edits)
                                        if r.get("other_line") else None}))
        if race.get("runs"):
            sections.append(Section("race-check runs", "text", "\n".join(
                f"{x.get('threads')} threads{' ' + x['schedule'] if x.get('schedule') else ''}: "
                f"{'ok' if x.get('ok') else x.get('reason') or 'exit ' + str(x.get('exit_code'))}, "
                f"{x.get('races', 0)} race(s)" for x in race["runs"])))
        out = e.get("output") or {}
        if out and not out.get("ok", True):
            sections.append(Section("output differs", "text", str(out.get("diff") or "")))
        test = e.get("test") or {}
        if test and not test.get("ok", True):
            sections.append(Section("tests", "text", (test.get("log") or json.dumps(test))[-3000:]))
        if timing.get("a"):
            sections.append(Section("timing", "timing", timing))
        speed = f", {timing['speedup']:.2f}x" if timing.get("speedup") else ""
        return f"checked: {stage}{speed}", outcome, sections

    def _on_verdict(self, e):
        fb = e.get("feedback") or {}
        action = e.get("action", "?")
        outcome = "accepted" if action == "accept" else "failed" if action == "give_up" else "info"
        text = "\n".join(x for x in (f"action: {action} ({fb.get('kind', '')})", fb.get("evidence", ""),
                                     f"suggestion: {fb['suggestion']}" if fb.get("suggestion") else "") if x)
        return f"verdict: {action} ({fb.get('kind', '')})", outcome, [Section("critic", "text", text)]

    def _on_revoke(self, e):
        return f"revoked: attempts {e.get('attempts', '')}", "failed", [Section("revoked", "text",
                                                                               e.get("reason", ""))]

    def _on_compose(self, e):
        timing = e.get("timing") or {}
        stage = e.get("stage", "?")
        sections = [Section("composed", "text", f"loops: {', '.join(e.get('loops', []))}\nstage: {stage}"
                            + (f"\n{e['error']}" if e.get("error") else "")
                            + (f"\n{e['reason']}" if e.get("reason") else ""))]
        if timing.get("a"):
            sections.append(Section("timing", "timing", timing))
        speed = f", {timing['speedup']:.2f}x" if timing.get("speedup") else ""
        if e.get("loop_times"):  # the final program with the small loops accepted on their own time
            return (f"final program with the loops faster on their own time: {stage}{speed}",
                    "failed" if e.get("error") else "accepted", sections)
        if e.get("remainder"):  # the small loops' set, timed against the program with the accepted changes
            speed += " over the accepted changes" if speed and e.get("reference") != "base" else ""
            return (f"small loops as a set, {len(e.get('loops', []))} change(s): {stage}{speed}",
                    "accepted" if stage == "passed" else "failed" if e.get("error") else "info", sections)
        return (f"compose {len(e.get('loops', []))} change(s): {stage}{speed}",
                "accepted" if stage == "passed" else "failed" if e.get("error") else "info", sections)

    def _on_remainder(self, e):
        loops = e.get("loops") or []
        return (f"small loops chosen as a set: {len(loops)}", "info",
                [Section("remainder", "text", "\n".join([*loops, e.get("reason", "")]))])

    def _on_loop_times(self, e):
        times = e.get("times") or {}
        faster = [n for n, t in times.items() if t.get("beyond_noise")]
        whole = e.get("whole") or {}
        text = [f"the set's whole program: {whole.get('speedup', 0):.2f}x, {whole.get('verdict', '?')}",
                f"each loop's own time must be {e.get('min_loop_speedup')}x faster, beyond the noise"]
        text += [f"{n}: " + (f"{t['speedup']:.2f}x (min {t['speedup_min']:.2f}, max {t['speedup_max']:.2f}), "
                             f"{t['verdict']}" if "speedup" in t else t.get("error", "?")) for n, t in times.items()]
        sections = [Section("loop timers", "text", "\n".join(text))]
        sections += [Section(f"own time of {n}", "timing", t) for n, t in times.items() if t.get("a")]
        return (f"small loops' own times: {len(faster)} of {len(times)} faster", "accepted" if faster else "failed",
                sections)

    def _on_model_call(self, e):
        messages = e.get("messages") or []
        answer = e.get("response") or e.get("error") or ""
        return (f"model {e.get('model')}: {e.get('latency', 0):.1f} s", "failed" if e.get("error") else "info",
                [Section("prompt and answer", "messages", [*messages, {"role": "answer", "content": answer}])])

    def _on_error(self, e):
        return f"error: {e.get('error', '')}", "failed", [Section("error", "text", "\n".join(
            x for x in (e.get("error", ""), f"fix: {e['fix']}" if e.get("fix") else "") if x))]

    def _on_crash(self, e):
        return f"crash: {e.get('error', '')}", "failed", [Section("traceback", "text", e.get("traceback", ""))]

    def _on_interrupted(self, e):
        return "interrupted", "failed", [Section("interrupted", "text", f"continue with: {e.get('resume', '')}")]

    def _on_skip(self, e):
        return f"skipped: {e.get('reason', '')}", "info", [_raw(e)]

    def _on_outputs(self, e):
        return "report written", "info", [Section("products", "text", "\n".join(
            f"{k}: {v}" for k, v in e.items() if k not in ("v", "seq", "ts", "kind")))]


def _raw(e: dict) -> Section:
    return Section("event", "text", json.dumps({k: v for k, v in e.items() if k not in ("v", "seq", "ts")},
                                               indent=1, default=str)[:6000])


def timing_text(t: dict, width: int = 40) -> str:
    """The timing samples as two rows of marks on one scale, with the original's min-max as the noise band."""
    a, b = t.get("a") or [], t.get("b") or []
    if not a or not b:
        return ""
    lo, hi = min(a + b), max(a + b)
    span = (hi - lo) or 1.0

    def col(x: float) -> int:
        return round((x - lo) / span * (width - 1))

    def row(xs: list[float], mark: str) -> str:
        cells = [" "] * width
        for i in range(col(min(a)), col(max(a)) + 1):
            cells[i] = "░"
        for x in xs:
            cells[col(x)] = mark
        return "".join(cells)

    return (f"original  |{row(a, 'o')}|  median {t.get('median_a', 0):.3f} s\n"
            f"candidate |{row(b, 'x')}|  median {t.get('median_b', 0):.3f} s\n"
            f"           {lo:.3f} s{' ' * max(1, width - 14)}{hi:.3f} s\n"
            f"speedup {t.get('speedup', 0):.2f}x (min {t.get('speedup_min', 0):.2f}, max {t.get('speedup_max', 0):.2f})"
            f", {t.get('verdict', '')}{'' if t.get('beyond_noise') else ' (within the noise band ░)'}; "
            f"{len(a)} runs a side, {t.get('threads', '?')} threads")
