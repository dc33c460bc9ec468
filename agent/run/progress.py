"""Progress for people (one line per step on stderr), for machines (JSON lines on stdout), or nothing."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from hpcagent.agent.run.report import change_label
from hpcagent.records import LoopTarget


def make_echo(mode: str) -> Callable[[dict], None] | None:
    """live | quiet | jsonl -> a transcript echo function."""
    if mode == "quiet":
        return None
    if mode == "jsonl":
        return lambda e: print(json.dumps(e, default=str), flush=True)
    return LiveProgress()


class LiveProgress:
    """Phase, current loop, attempt and last verdict, one line each, with the elapsed time."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.t0 = time.time()
        self.total = 0
        self.index = 0

    def say(self, text: str) -> None:
        m, s = divmod(int(time.time() - self.t0), 60)
        print(f"[{m:3d}:{s:02d}] {text}", file=self.stream, flush=True)

    def __call__(self, e: dict[str, Any]) -> None:
        kind = e["kind"]
        if kind == "phase":
            self.say(f"{e['phase']}" + (f" {e['repo']}" if e.get("repo") else ""))
        elif kind in ("targets", "kept"):  # kept: without a profile, the loops the run executes
            self.total = len(e["targets"])
            prof = e.get("profile") or {}
            if "error" in prof and not e.get("filtered"):
                self.say(f"WARNING: no profile: {prof['error']}")
                self.say("    loops are ranked statically; after the baseline, only those the run executes are kept")
            how = ("static ranking, kept: executed by the run" if e.get("filtered") else "static ranking") \
                if "error" in prof else "inclusive time from sampled call stacks"
            self.say(f"{self.total} loop(s) {'to try' if 'error' not in prof or e.get('filtered') else 'ranked'} "
                     f"({how})")
            for t in map(LoopTarget.from_dict, e["targets"]):
                share = f"{t.share * 100:.1f}%" if t.share is not None else "n/a"
                self.say(f"    {t.loop_id} in {t.function}: {share} of time, analysis: {t.verdict}")
            for s in prof.get("skipped", []):
                self.say(f"    not tried: {s['loop']}: {s['reason']}")
            for o in prof.get("outside", []):
                self.say(f"    hot, in no loop the analysis read: {o['line']} ({o['share']:.1%})")
        elif kind == "baseline":
            cov = e.get("coverage") or {}
            seen = (f"race input runs {cov['lines']} line(s)" if "lines" in cov else
                    f"no coverage of the race input ({cov['error']})" if cov.get("error") else "")
            self.say(f"baseline: run {e['seconds']:.2f} s, tests {'pass' if e['test'] else 'n/a'}, "
                     f"{len(e['races'])} pre-existing race(s)" + (f", {seen}" if seen else ""))
        elif kind == "target":
            self.index = e["index"] + 1
            self.say(f"loop {self.index}/{self.total}: {e['loop']} in {e['function']}")
        elif kind == "proposal":
            p = e["proposal"]
            what = "nothing left to propose" if p is None else change_label(p)
            self.say(f"  attempt {e['attempt']} ({e['planner']}): {what}")
        elif kind == "check" and e.get("stage") == "unreliable":
            self.say(f"  WARNING: {e.get('error')}: the change is neither accepted nor rejected")
        elif kind == "check":
            t = e.get("timing") or {}
            extra = f", {t['speedup']:.2f}x ({t['verdict']})" if "speedup" in t else ""
            self.say(f"  checked: {e['stage']}" + (f" - {e['error']}" if e.get("error") else "") + extra)
        elif kind == "veto":
            self.say(f"  refused before the sandbox: {e['reason']}")
        elif kind == "verdict":
            self.say(f"  verdict: {e['action']} ({e['feedback']['kind']})")
        elif kind == "fallback":
            self.say(f"  LLM planner fell back to the analysis planner: {e.get('reason', '')}")
        elif kind == "compose":
            self.say(f"composed {len(e['loops'])} change(s): {e['stage']}" + (f" ({e['reason']})" if e.get("reason")
                                                                                 else ""))
        elif kind == "crash":  # errors the user can act on are printed once, by the command itself
            self.say(f"{kind}: {e['error']}")
        elif kind == "resume":
            self.say(f"resuming run {e['run_id']}")
