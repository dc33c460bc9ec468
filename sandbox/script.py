"""Render steps as one POSIX shell script and read its results back; both backends run this same script."""

from __future__ import annotations

import shlex
from pathlib import Path

from hpcagent.sandbox.steps import (
    CONTROL_DIR,
    Limits,
    Step,
    StepResult,
    env_prefix,
    explain_exit,
    read_capped,
)

TIMEOUT_MARK = "timeout: sending signal"


def render_script(steps: list[Step], root: str) -> str:
    """Return a script that runs each step under coreutils `timeout`, recording rc and start/end times."""
    ctl = f"{root}/{CONTROL_DIR}"
    lines = ["#!/bin/sh", f"C={shlex.quote(ctl)}"]
    for i, step in enumerate(steps):
        cwd = shlex.quote(f"{root}/{step.cwd}".rstrip("/."))
        body = f"{env_prefix(step.env)}exec timeout --verbose -k 2 {step.timeout:g} sh -c {shlex.quote(step.cmd)}"
        lines.append(
            f"s=$(date +%s%N); ( cd {cwd} && {body} ) >$C/{i}.out 2>$C/{i}.err; "
            f"rc=$?; e=$(date +%s%N); echo \"$rc $s $e\" >$C/{i}.rc"
        )
        if step.stop_on_failure:
            lines.append('[ "$rc" -eq 0 ] || exit 0')
    return "\n".join(lines) + "\n"


def prepare(workdir: Path, steps: list[Step], root: str) -> Path:
    """Write the script into the work dir's control folder (cleared of an earlier run's results), and the files the
    steps need into their directories."""
    ctl = workdir / CONTROL_DIR
    ctl.mkdir(parents=True, exist_ok=True)
    for old in ctl.iterdir():
        if old.name != "pgid":
            old.unlink()
    for step in steps:
        for rel, text in step.files.items():
            path = workdir / step.cwd / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.is_file() or path.read_text() != text:
                path.write_text(text)
                path.chmod(0o755)
    script = ctl / "run.sh"
    script.write_text(render_script(steps, root))
    return script


def collect(workdir: Path, steps: list[Step], limits: Limits, killed: bool = False) -> list[StepResult]:
    """Read every step's rc, times and streams; steps with no rc were skipped (or cut off by a kill)."""
    ctl = workdir / CONTROL_DIR
    results = []
    for i, step in enumerate(steps):
        rc_file = ctl / f"{i}.rc"
        stdout, cut_out = read_capped(ctl / f"{i}.out")
        stderr, cut_err = read_capped(ctl / f"{i}.err")
        if not rc_file.exists():
            running = (ctl / f"{i}.out").exists()
            reason = "the whole run hit its wall-clock limit and was killed" if (killed and running) else \
                "skipped: an earlier step failed" if not killed else "not reached before the run was killed"
            results.append(StepResult(step.name, step.cmd, None, stdout, stderr, skipped=not running,
                                      timed_out=killed and running, truncated=cut_out or cut_err, reason=reason))
            continue
        rc, start, end = (int(x) for x in rc_file.read_text().split())
        timed_out = TIMEOUT_MARK in stderr
        if timed_out:
            stderr = "\n".join(ln for ln in stderr.splitlines() if TIMEOUT_MARK not in ln)
        reason = explain_exit(rc, timed_out, limits)
        if timed_out:
            reason = f"timed out after {step.timeout:g} s and was killed"
        results.append(StepResult(step.name, step.cmd, rc, stdout, stderr, seconds=(end - start) / 1e9,
                                  timed_out=timed_out, truncated=cut_out or cut_err, reason=reason))
    return results
