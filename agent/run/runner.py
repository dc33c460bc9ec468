"""Start and resume optimize runs: run folder, SQLite checkpoints, planner/critic/sandbox from names."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hpcagent.agent.backends import make_critic, make_planner
from hpcagent.agent.config import Config
from hpcagent.agent.protocols import Lab
from hpcagent.agent.run.state import initial_state
from hpcagent.agent.run.transcript import Transcript
from hpcagent.errors import BadInput, HpcAgentError
from hpcagent.records import Composed

RECURSION_LIMIT = 100_000


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]


def make_lab(spec: str, sandbox=None) -> Lab:
    """The Lab for agent.sandbox: fake:FILE scripts it (agent/run/fake_lab.py); auto, docker or local (or the
    given sandbox backend) do the work in a real sandbox."""
    if spec.startswith("fake:"):
        from hpcagent.agent.run.fake_lab import FakeLab

        return FakeLab.from_file(spec.split(":", 1)[1])
    from hpcagent.agent.run.lab import SandboxLab
    from hpcagent.sandbox.backends import get_sandbox

    return SandboxLab(sandbox or get_sandbox(spec))


def open_run(run_dir: Path, meta: dict, echo: Callable[[dict], None] | None, sandbox=None, lab: Lab | None = None):
    """The run's context (seams, transcript) and its checkpointed graph, for a run folder."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    from hpcagent.agent.run.graph import build_graph
    from hpcagent.agent.run.nodes import RunContext
    from hpcagent.agent.run.report import write_outputs

    cfg = Config.from_dict(meta["config"], "run.json")
    transcript = Transcript(run_dir / "transcript.jsonl", echo=echo)
    ctx = RunContext(lab=lab or make_lab(cfg.agent.sandbox, sandbox),
                     planner=make_planner(cfg.agent.planner, cfg, transcript),
                     critic=make_critic(cfg.agent.critic, cfg, transcript), transcript=transcript, report=write_outputs)
    conn = sqlite3.connect(str(run_dir / "checkpoint.sqlite"), check_same_thread=False)
    return build_graph(SqliteSaver(conn)), ctx, conn


LOCK = "run.lock"


def hold_lock(run_dir: Path):
    """Take the run's lock for as long as this process works on it (released by the kernel if the process dies,
    kill -9 included); BadInput when another process holds it. `hpcagent runs` reads it as "running"."""
    import fcntl
    import os

    fh = open(run_dir / LOCK, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        holder = fh.read().strip()
        fh.close()
        raise BadInput(f"run {run_dir.name} is being worked on by another process ({holder or 'unknown pid'})",
                       "wait for it to finish, or stop that process first") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()}\n")
    fh.flush()
    return fh


def is_locked(run_dir: Path) -> bool:
    """Whether some process holds the run's lock now (the run is in progress)."""
    import fcntl

    path = run_dir / LOCK
    if not path.exists():
        return False
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def execute(run_dir: Path, meta: dict, first_input: dict | None, echo=None, sandbox=None,
            lab: Lab | None = None) -> dict:
    """Invoke (or continue) the graph; return the final state. Errors are recorded in the transcript."""
    from hpcagent.tools.loops import vectorizer, views

    lock = hold_lock(run_dir)
    graph, ctx, conn = open_run(run_dir, meta, echo, sandbox, lab)
    config: Any = {"configurable": {"thread_id": meta["run_id"]}, "recursion_limit": RECURSION_LIMIT}
    # a resumed run analyses the sources as its discovery did (the views its profile build left)
    views.Views.activate(run_dir / "work" / "views")
    if first_input is None and not graph.get_state(config).values:
        # killed after run.json was written but before the first checkpoint: nothing to continue, start afresh
        first_input = dict(initial_state(meta["run_id"], meta["repo"], str(run_dir), meta["config"],
                                         meta.get("config_origin", "run.json")))
    try:
        ctx.transcript.event("start" if first_input else "resume", run_id=meta["run_id"], planner=ctx.planner.name,
                             critic=ctx.critic.name, sandbox=ctx.lab.name)
        graph.invoke(first_input, config, context=ctx, durability="sync")
        return graph.get_state(config).values
    except HpcAgentError as exc:
        ctx.transcript.event("error", error=exc.message, fix=exc.fix, error_type=type(exc).__name__,
                             diagnostics=[d.to_dict() for d in getattr(exc, "diagnostics", None) or []] or None)
        raise
    except KeyboardInterrupt:
        ctx.transcript.event("interrupted", resume=f"hpcagent resume {meta['run_id']}")
        raise
    except Exception as exc:
        ctx.transcript.event("crash", error=repr(exc), traceback=traceback.format_exc())
        raise
    finally:
        views.use({})
        vectorizer.use({})
        conn.close()
        lock.close()


def start(repo: Path, cfg: Config, origin: str, out: Path, run_id: str | None = None, echo=None,
          sandbox=None, lab: Lab | None = None) -> tuple[dict, Path]:
    """Start a new run of `repo`; returns (final state, run folder)."""
    run_id = run_id or new_run_id()
    run_dir = Path(out).resolve() / run_id
    if (run_dir / "run.json").exists():
        raise BadInput(f"run {run_id} already exists in {run_dir.parent}", f"continue it with `hpcagent resume {run_id}`")
    if run_dir.exists() and any(run_dir.iterdir()):
        raise BadInput(f"{run_dir} exists and is not a run of hpcagent's (no run.json)",
                       "give another --run-id, or remove that folder")
    run_dir.mkdir(parents=True, exist_ok=True)  # an empty folder (a run killed before it wrote anything) is reused
    meta = {"run_id": run_id, "repo": str(Path(repo).resolve()), "config": cfg.to_dict(), "config_origin": origin}
    tmp = run_dir / "run.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2))
    tmp.replace(run_dir / "run.json")  # atomic: a kill never leaves half a run.json
    state = initial_state(run_id, meta["repo"], str(run_dir), meta["config"], origin)
    return execute(run_dir, meta, dict(state), echo, sandbox, lab), run_dir


def resume(run_id: str, out: Path, echo=None, sandbox=None, lab: Lab | None = None) -> tuple[dict, Path]:
    """Continue a run that was stopped (kill -9 included) from its last checkpoint."""
    run_dir = Path(out).resolve() / run_id
    if not (run_dir / "run.json").exists():
        known = sorted(p.name for p in Path(out).glob("*") if (p / "run.json").exists()) if Path(out).exists() else []
        raise BadInput(f"no run {run_id!r} in {Path(out).resolve()}",
                       f"known runs: {', '.join(known[-5:]) or 'none'} (use --out to point at another runs folder)")
    meta = json.loads((run_dir / "run.json").read_text())
    return execute(run_dir, meta, None, echo, sandbox, lab), run_dir


def exit_code(state: dict) -> int:
    """0 when at least one change was accepted, 3 when none was."""
    composed = Composed.from_dict(state.get("composed"))
    return 0 if composed is not None and composed.kept else 3


def print_result(state: dict, run_dir: Path, stream=sys.stderr) -> None:
    """Say where the products are and what was accepted."""
    summary_path = run_dir / "summary.json"
    if not summary_path.exists():
        print(f"run {state.get('run_id')} has not finished (phase {state.get('phase')})", file=stream)
        return
    s = json.loads(summary_path.read_text())
    w = s["whole_program"]
    head = (f"{s['accepted']} of {s['tried']} loop(s) accepted; whole program {w['speedup']:.2f}x "
            f"(min {w['min']:.2f}, max {w['max']:.2f}) at {w['threads']} threads") if s["accepted"] \
        else f"no change accepted ({s['tried']} loop(s) tried; see the report for why)"
    print(f"\n{head}\n  report:     {run_dir / 'report.md'}\n  patch:      {run_dir / 'patch.diff'}\n"
          f"  summary:    {summary_path}\n  transcript: {run_dir / 'transcript.jsonl'}", file=stream)
