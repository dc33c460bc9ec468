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
from hpcagent.agent.run.transcript import Transcript
from hpcagent.errors import BadInput, HpcAgentError

RECURSION_LIMIT = 100_000


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]


def analysis_context(target, root: Path) -> dict:
    """The analysis facts and candidate for a loop, for planners that read them (the LLM planner)."""
    try:
        from hpcagent.tools.loops.analysis import analyze_file

        for report in analyze_file(root / target.file, root):
            if report.line == target.line:
                return {"facts": report.facts_text(),
                        "analysis_candidate": report.candidates[0] if report.candidates else None}
    except Exception as exc:  # facts are a help, never a reason to stop the run
        return {"facts": f"(analysis unavailable: {exc})"}
    return {}


def open_run(run_dir: Path, meta: dict, echo: Callable[[dict], None] | None, sandbox=None):
    """Build the runtime and the checkpointed graph for a run folder."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    from hpcagent.agent.run.discovery import discover
    from hpcagent.agent.run.graph import Runtime, build_graph
    from hpcagent.agent.run.report import write_outputs
    from hpcagent.sandbox.backends import get_sandbox

    cfg = Config.from_dict(meta["config"], "run.json")
    transcript = Transcript(run_dir / "transcript.jsonl", echo=echo)
    rt = Runtime(sandbox=sandbox or get_sandbox(cfg.agent.sandbox),
                 planner=make_planner(cfg.agent.planner, cfg, transcript),
                 critic=make_critic(cfg.agent.critic, cfg, transcript), transcript=transcript,
                 discover=discover, report=write_outputs, extra_context=analysis_context)
    conn = sqlite3.connect(str(run_dir / "checkpoint.sqlite"), check_same_thread=False)
    return build_graph(rt, SqliteSaver(conn)), rt, conn


def execute(run_dir: Path, meta: dict, first_input: dict | None, echo=None, sandbox=None) -> dict:
    """Invoke (or continue) the graph; return the final state. Errors are recorded in the transcript."""
    graph, rt, conn = open_run(run_dir, meta, echo, sandbox)
    config: Any = {"configurable": {"thread_id": meta["run_id"]}, "recursion_limit": RECURSION_LIMIT}
    try:
        rt.transcript.event("start" if first_input else "resume", run_id=meta["run_id"], planner=rt.planner.name,
                            critic=rt.critic.name, sandbox=rt.sandbox.name)
        graph.invoke(first_input, config, durability="sync")
        return graph.get_state(config).values
    except HpcAgentError as exc:
        rt.transcript.event("error", error=exc.message, fix=exc.fix, error_type=type(exc).__name__,
                            diagnostics=getattr(exc, "diagnostics", None))
        raise
    except KeyboardInterrupt:
        rt.transcript.event("interrupted", resume=f"hpcagent resume {meta['run_id']}")
        raise
    except Exception as exc:
        rt.transcript.event("crash", error=repr(exc), traceback=traceback.format_exc())
        raise
    finally:
        conn.close()


def start(repo: Path, cfg: Config, origin: str, out: Path, run_id: str | None = None, echo=None,
          sandbox=None) -> tuple[dict, Path]:
    """Start a new run of `repo`; returns (final state, run folder)."""
    run_id = run_id or new_run_id()
    run_dir = Path(out).resolve() / run_id
    if (run_dir / "run.json").exists():
        raise BadInput(f"run {run_id} already exists in {run_dir.parent}", f"continue it with `hpcagent resume {run_id}`")
    run_dir.mkdir(parents=True)
    meta = {"run_id": run_id, "repo": str(Path(repo).resolve()), "config": cfg.to_dict(), "config_origin": origin}
    (run_dir / "run.json").write_text(json.dumps(meta, indent=2))
    state = {"run_id": run_id, "repo": meta["repo"], "run_dir": str(run_dir), "config": meta["config"],
             "config_origin": origin, "started": time.time(), "phase": "discover"}
    return execute(run_dir, meta, state, echo, sandbox), run_dir


def resume(run_id: str, out: Path, echo=None, sandbox=None) -> tuple[dict, Path]:
    """Continue a run that was stopped (kill -9 included) from its last checkpoint."""
    run_dir = Path(out).resolve() / run_id
    if not (run_dir / "run.json").exists():
        known = sorted(p.name for p in Path(out).glob("*") if (p / "run.json").exists()) if Path(out).exists() else []
        raise BadInput(f"no run {run_id!r} in {Path(out).resolve()}",
                       f"known runs: {', '.join(known[-5:]) or 'none'} (use --out to point at another runs folder)")
    meta = json.loads((run_dir / "run.json").read_text())
    return execute(run_dir, meta, None, echo, sandbox), run_dir


def exit_code(state: dict) -> int:
    """0 when at least one change was accepted, 3 when none was."""
    return 0 if (state.get("composed") or {}).get("kept") else 3


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
