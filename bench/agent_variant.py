"""Run `hpcagent optimize` on a copy of one kernel and say what it produced (a source, or why not)."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path


def hpcagent_exe() -> list[str]:
    """The hpcagent command of the interpreter running the benchmark (so the same install is measured)."""
    exe = Path(sys.executable).with_name("hpcagent")
    if not exe.exists():
        sys.exit(f"{exe} not found: install hpcagent in this venv (pip install -e .)")
    return [str(exe)]


def agent_command(src: Path, name: str, defines: str, small: str, out: Path, run_id: str,
                  model: str | None, reps: int, threads: int, extra: str) -> list[str]:
    """The optimize command: one build makes the timed binary and a small one for the TSan race run."""
    # The agent injects CC/CFLAGS/LDFLAGS (release: gcc -O3 -fopenmp; race: clang-16 TSan) into this command.
    build = (f"$CC $CFLAGS {defines} {name}.c -o {name} $LDFLAGS -lm && "
             f"$CC $CFLAGS {small} {name}.c -o {name}_small $LDFLAGS -lm")
    cmd = [*hpcagent_exe(), "optimize", str(src), "--build", build, "--run", f"./{name}",
           "--race-run", f"./{name}_small", "--out", str(out), "--run-id", run_id, "--quiet",
           "--sandbox", "docker", "--reps", str(reps), "--threads", str(threads)]
    if model:
        cmd += ["--planner", "llm", "--model", model]
    else:
        cmd += ["--planner", "analysis"]
    return cmd + shlex.split(extra)


def run_agent(kdir: Path, kernel_src: Path, name: str, defines: str, small: str, run_id: str, *,
              model: str | None = None, reps: int = 5, threads: int = 2, extra: str = "",
              timeout: float = 7200) -> dict:
    """Optimize a private copy of the serial kernel; return {source|None, reason, note, agent_seconds, ...}."""
    src, out = kdir / "agent" / run_id / "src", kdir / "agent" / run_id / "runs"
    shutil.rmtree(kdir / "agent" / run_id, ignore_errors=True)
    src.mkdir(parents=True)
    shutil.copy2(kernel_src, src / f"{name}.c")  # only the serial source: the reference must stay unseen
    cmd = agent_command(src, name, defines, small, out, run_id, model, reps, threads, extra)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        code, err = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired:
        code, err = None, f"hpcagent did not finish in {timeout:g} s and was stopped"
    rec = {"agent_seconds": round(time.perf_counter() - start, 1), "agent_exit": code,
           "agent_command": shlex.join(cmd), "run_dir": str(out / run_id)}
    summary_path = out / run_id / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else None
    rec["note"] = note(summary) if summary else ""
    final = out / run_id / "work" / "final" / f"{name}.c"
    if code == 0 and final.is_file():
        return {**rec, "source": final, "accepted": summary["accepted"] if summary else None}
    if code == 3:
        return {**rec, "source": None, "accepted": 0, "reason": f"no change accepted: {first_reason(summary)}"}
    tail = [ln for ln in (err or "").splitlines() if ln.strip()][-3:]
    return {**rec, "source": None, "accepted": None, "failed": True,
            "reason": f"hpcagent failed (exit {code}): {' '.join(tail)[:300] or 'no message'}"}


def first_reason(summary: dict | None) -> str:
    """The first reason the summary gives for a loop that was not accepted (or why no loop was tried)."""
    if not summary:
        return "no summary.json written"
    for lp in summary.get("loops", []):
        if lp["status"] != "accepted" and lp.get("reason"):
            return f"{lp['loop']}: {lp['reason'].splitlines()[0]}"
    if summary.get("dropped_in_compose"):
        d = summary["dropped_in_compose"][0]
        return f"{d['loop']}: {d['reason']}"
    return summary.get("profile_error") or "no loop was tried"


def note(summary: dict) -> str:
    """Why hpcagent fell short, in one line: loops tried and accepted, and the first reason it gave."""
    tried, accepted = summary.get("tried", 0), summary.get("accepted", 0)
    text = f"{accepted} of {tried} loop(s) accepted"
    if accepted < tried or summary.get("dropped_in_compose"):
        text += f"; {first_reason(summary)}"
    if summary.get("profile_error"):
        text += "; no profile, loops ranked statically"
    return text[:300]
