"""The runs under a runs folder, and what each one is: `hpcagent runs`, and the run lookup of the review commands."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from hpcagent.agent.run.runner import is_locked
from hpcagent.agent.run.transcript import read_transcript
from hpcagent.errors import BadInput

DEFAULT_OUT = Path(".hpcagent/runs")


@dataclass
class RunInfo:
    """One run folder, summarised."""

    id: str
    repo: str
    status: str
    """running (a process holds its lock), done (its report is written), failed (it ended on an error), stopped
    (interrupted or killed: `hpcagent resume ID` continues it)."""
    started: float | None
    seconds: float | None
    """From the first to the last event (to now while running)."""
    tried: int
    accepted: int
    best_speedup: float | None
    """The whole program's speedup when changes were accepted, else the best single loop's, else None."""
    reason: str = ""
    """Why a failed run failed, or what a stopped run was doing."""
    path: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def run_folders(out: Path) -> list[Path]:
    out = Path(out)
    return sorted((p for p in out.iterdir() if (p / "run.json").is_file()), key=lambda p: p.stat().st_mtime) \
        if out.is_dir() else []


def find_run(run: str | Path, out: Path = DEFAULT_OUT) -> Path:
    """A run folder from its id (under out) or its path; BadInput naming the known runs when there is none."""
    for cand in (Path(run), Path(out) / str(run)):
        if (cand / "run.json").is_file():
            return cand.resolve()
    known = [p.name for p in run_folders(out)]
    raise BadInput(f"no run {str(run)!r} in {Path(out).resolve()}",
                   f"known runs: {', '.join(known[-5:]) or 'none'} (`hpcagent runs --out DIR` lists another folder)")


def info(run_dir: Path) -> RunInfo:
    """What a run folder holds: status, timing, loops tried and accepted."""
    run_dir = Path(run_dir)
    meta = json.loads((run_dir / "run.json").read_text())
    events = read_transcript(run_dir / "transcript.jsonl") if (run_dir / "transcript.jsonl").exists() else []
    summary = json.loads((run_dir / "summary.json").read_text()) if (run_dir / "summary.json").exists() else None
    started = events[0]["ts"] if events else None
    running = is_locked(run_dir)
    ends = [e for e in events if e["kind"] in ("outputs", "error", "crash", "interrupted", "start", "resume")]
    end = ends[-1]["kind"] if ends else None
    reason = ""
    if running:
        status = "running"
    elif end == "outputs" and summary is not None:
        status = "done"
    elif end in ("error", "crash"):
        status = "failed"
        reason = ends[-1].get("error", "")
    else:
        status = "stopped"
        phase = next((e.get("phase") for e in reversed(events) if e["kind"] == "phase"), None)
        reason = f"stopped in {phase or 'its first step'}: `hpcagent resume {run_dir.name}` continues it"
    if started is not None:
        seconds = (time.time() if running else max(e.get("ts", started) for e in events)) - started
    else:
        seconds = None
    tried = accepted = 0
    best = None
    if summary is not None:
        tried, accepted = summary.get("tried", 0), summary.get("accepted", 0)
        whole = summary.get("whole_program") or {}
        best = whole.get("speedup") if accepted else None
    else:
        verdicts = [e for e in events if e["kind"] == "verdict"]
        tried = len({e.get("loop") for e in events if e["kind"] == "target"})
        accepted = len({e.get("loop") for e in verdicts if e.get("action") == "accept"})
        speeds = [e["timing"]["speedup"] for e in events if e["kind"] == "check" and (e.get("timing") or {}).get(
            "beyond_noise") and e.get("stage") == "passed"]
        best = max(speeds) if speeds else None
    return RunInfo(run_dir.name, meta.get("repo", "?"), status, started, seconds, tried, accepted, best, reason,
                   str(run_dir.resolve()))


def list_runs(out: Path = DEFAULT_OUT) -> list[RunInfo]:
    return [info(p) for p in run_folders(out)]


def format_runs(rows: list[RunInfo]) -> str:
    """The `hpcagent runs` table."""
    if not rows:
        return "no runs"
    table = [("run", "status", "started", "duration", "tried", "accepted", "best", "repo")]
    for r in rows:
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started)) if r.started else "-"
        dur = f"{r.seconds / 60:.1f} min" if r.seconds is not None else "-"
        best = f"{r.best_speedup:.2f}x" if r.best_speedup else "-"
        table.append((r.id, r.status, started, dur, str(r.tried), str(r.accepted), best, r.repo))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row[:-1], widths)) + "  " + row[-1] for row in table]
    lines += [f"  {r.id}: {r.reason}" for r in rows if r.reason]
    return "\n".join(lines)
