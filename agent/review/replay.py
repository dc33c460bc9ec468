"""`hpcagent replay RUN`: the run again, with its recorded proposals and model answers (no planner, no model).

The replay starts from the run's own snapshot of the sources (work/orig), with the recorded configuration; the
planner becomes a scripted one that proposes, per loop, what the run proposed in the same order, and a language
model critic answers what it answered. Builds, race checks, tests and timings run again in the sandbox. The
verdicts are then set side by side: the same, different only where a timing decided (noise can tip one), or
different on evidence that should not change (a race, a wrong output, a build).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from hpcagent.agent.config import Config
from hpcagent.agent.run.transcript import read_transcript
from hpcagent.errors import BadInput

TIMING_KINDS = {"accepted", "not_faster", "slower", "within_noise", "noise"}


@dataclass
class Comparison:
    loop: str
    attempt: int
    before: str
    after: str
    same: bool
    timing_only: bool

    def to_dict(self) -> dict:
        return asdict(self)


def recorded(events: list[dict]) -> tuple[dict[str, list[dict]], list[str]]:
    """The proposals per loop in order (a planner script) and the answers the critic's model gave (the model calls
    between a check and its verdict), from a transcript."""
    script: dict[str, list[dict]] = {}
    answers: list[str] = []
    in_check = False
    for e in events:
        kind = e.get("kind")
        if kind == "proposal" and e.get("proposal"):
            script.setdefault(e["loop"], []).append(e["proposal"])
        elif kind == "check":
            in_check = True
        elif kind == "verdict":
            in_check = False
        elif kind == "model_call" and in_check:
            answers.append(e.get("response") or "")
    return script, answers


def verdicts(events: list[dict]) -> dict[tuple[str, int], dict]:
    """(loop, attempt) -> {action, kind, stage} of every verdict in a transcript (a veto counts as one)."""
    stages = {(e.get("loop"), e.get("attempt")): e.get("stage") for e in events if e.get("kind") == "check"}
    out = {}
    for e in events:
        if e.get("kind") == "verdict":
            key = (e.get("loop", ""), e.get("attempt") or 0)
            out[key] = {"action": e.get("action"), "kind": (e.get("feedback") or {}).get("kind", ""),
                        "stage": stages.get(key)}
    return out


def compare(before: list[dict], after: list[dict]) -> list[Comparison]:
    old, new = verdicts(before), verdicts(after)
    rows = []
    for key in sorted(set(old) | set(new), key=lambda k: (k[0], k[1])):
        a, b = old.get(key), new.get(key)
        text_a = f"{a['action']} ({a['kind']})" if a else "(not reached)"
        text_b = f"{b['action']} ({b['kind']})" if b else "(not reached)"
        same = a is not None and b is not None and (a["action"], a["kind"]) == (b["action"], b["kind"])
        timing = bool(a and b and a["kind"] in TIMING_KINDS and b["kind"] in TIMING_KINDS
                      and a["stage"] in ("timing", "passed") and b["stage"] in ("timing", "passed"))
        rows.append(Comparison(key[0], key[1], text_a, text_b, same, timing and not same))
    return rows


def replay_config(run_dir: Path, meta: dict, sandbox: str | None) -> Config:
    """The recorded configuration with the planner (and the critic's model) replaced by the recorded answers."""
    events = read_transcript(run_dir / "transcript.jsonl")
    script, answers = recorded(events)
    folder = run_dir / "replay-inputs"
    folder.mkdir(exist_ok=True)
    (folder / "proposals.json").write_text(json.dumps(script, indent=1))
    data = json.loads(json.dumps(meta["config"]))
    agent = data.setdefault("agent", {})
    agent["planner"] = f"scripted:{folder / 'proposals.json'}"
    if agent.get("critic") == "llm":
        (folder / "answers.json").write_text(json.dumps(answers, indent=1))
        agent["model"] = f"scripted:{folder / 'answers.json'}"
    if sandbox:
        agent["sandbox"] = sandbox
    return Config.from_dict(data, f"replay of {run_dir.name}")


def replay(run_dir: Path, out: Path, run_id: str | None = None, sandbox: str | None = None, echo=None,
           lab=None) -> tuple[dict, Path, list[Comparison]]:
    """Run the recorded run again under a new id; the final state, its folder and the verdicts side by side."""
    from hpcagent.agent.run import runner

    run_dir = Path(run_dir)
    meta = json.loads((run_dir / "run.json").read_text())
    if not (run_dir / "transcript.jsonl").exists():
        raise BadInput(f"run {run_dir.name} has no transcript to replay", "replay a run that has started")
    snapshot = run_dir / "work" / "orig"
    repo = snapshot if snapshot.is_dir() else Path(meta["repo"])
    if not repo.is_dir():
        raise BadInput(f"neither the run's snapshot ({snapshot}) nor its repository ({meta['repo']}) is there",
                       "replay a run whose work folder was kept")
    cfg = replay_config(run_dir, meta, sandbox)
    new_id = run_id or f"{run_dir.name}-replay"
    state, new_dir = runner.start(repo, cfg, f"replay of {run_dir.name}", out, new_id, echo=echo, lab=lab)
    rows = compare(read_transcript(run_dir / "transcript.jsonl"), read_transcript(new_dir / "transcript.jsonl"))
    (new_dir / "replay.json").write_text(json.dumps({"replay_of": str(run_dir), "verdicts": [r.to_dict() for r in rows]},
                                                    indent=1))
    return state, new_dir, rows


def format_comparison(rows: list[Comparison]) -> str:
    same = sum(r.same for r in rows)
    timing = sum(r.timing_only for r in rows)
    other = len(rows) - same - timing
    lines = [f"{same} of {len(rows)} verdict(s) the same; {timing} differ where a timing decided; {other} differ on "
             "other evidence"]
    for r in rows:
        mark = "=" if r.same else "~" if r.timing_only else "!"
        lines.append(f"  {mark} {r.loop} attempt {r.attempt}: {r.before} -> {r.after}")
    return "\n".join(lines)
