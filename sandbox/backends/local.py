"""Run steps on the host (no container engine, e.g. HPC login nodes): scratch copy, rlimits, timeouts."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from hpcagent.sandbox import script
from hpcagent.sandbox.backends.container import usable_cpus
from hpcagent.sandbox.steps import Limits, Step, StepResult

WARNING = (
    "WARNING: hpcagent is running code UNSANDBOXED on this host (local backend): no network isolation, "
    "no container; only rlimits, timeouts and a scratch copy protect you."
)
_warned = False


def _limit(cpus: list[int], limits: Limits, cap_memory: bool):
    """Return a preexec function applying the limits in the child before exec."""
    out_bytes = limits.output_mb * 1024 * 1024

    def apply() -> None:
        os.setsid()
        os.sched_setaffinity(0, cpus)
        if cap_memory:  # an address-space cap: sanitizers reserve terabytes, so their runs go without one
            mem = limits.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_FSIZE, (out_bytes, out_bytes))
        if os.getuid() != 0:  # RLIMIT_NPROC counts all of the user's processes and does not bind root
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.pids * 4, limits.pids * 4))

    return apply


class LocalSandbox:
    """Same interface as DockerSandbox; says loudly (once per process) that it is not isolated."""

    name = "local"

    def __init__(self, quiet: bool = False):
        global _warned
        if not _warned and not quiet:
            print(WARNING, file=sys.stderr)
            _warned = True

    def run(self, workdir: Path, steps: list[Step], limits: Limits | None = None) -> list[StepResult]:
        """Run the steps in a host shell over workdir; kill the whole process group at the wall limit.
        Never while another hpcagent process on this machine is timing (sandbox/cores.py)."""
        from hpcagent.sandbox.cores import shared

        with shared():
            return self._run(workdir, steps, limits)

    def _run(self, workdir: Path, steps: list[Step], limits: Limits | None = None) -> list[StepResult]:
        limits = limits or Limits()
        workdir = Path(workdir).resolve()
        _kill_leftover(workdir)
        path = script.prepare(workdir, steps, str(workdir))
        wall = sum(s.timeout + 3 for s in steps) + limits.wall_margin
        sanitized = any("TSAN_OPTIONS" in s.env for s in steps)
        env = dict(os.environ, HOME=os.environ.get("HOME", str(workdir)))
        proc = subprocess.Popen(["sh", str(path)], cwd=workdir, env=env,
                                preexec_fn=_limit(usable_cpus(limits.cpus), limits, not sanitized),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (workdir / script.CONTROL_DIR / "pgid").write_text(str(proc.pid))
        killed = False
        try:
            proc.wait(timeout=wall)
        except subprocess.TimeoutExpired:
            killed = True
        finally:
            # Ctrl-C included: nothing started here outlives the run.
            if proc.poll() is None or killed:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        return script.collect(workdir, steps, limits, killed=killed)


def _kill_leftover(workdir: Path) -> None:
    """Kill the process group a run killed with -9 left going over this work dir."""
    pid_file = workdir / script.CONTROL_DIR / "pgid"
    try:
        os.killpg(int(pid_file.read_text()), signal.SIGKILL)
    except (OSError, ValueError):
        pass
