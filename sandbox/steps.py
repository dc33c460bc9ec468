"""What a sandbox runs (Step, Limits) and what it returns (StepResult); shared by every backend."""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Where a backend keeps its per-step outputs inside the working directory (a scratch copy, never the user's tree).
CONTROL_DIR = ".hpcagent-sandbox"
KEEP_BYTES = 256 * 1024  # per stream kept in a StepResult: head and tail


@dataclass
class Step:
    """One shell command run in `cwd` (relative to the work dir) with extra environment and its own timeout."""

    name: str
    cmd: str
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "."
    timeout: float = 600.0
    stop_on_failure: bool = False
    """Skip the remaining steps when this one fails (a build that failed has nothing to run)."""
    files: dict[str, str] = field(default_factory=dict)
    """Executable files written under `cwd` before the run (path relative to cwd -> text): the compiler wrappers."""


@dataclass
class Limits:
    """Resource limits of one sandbox run."""

    memory_mb: int = 4096
    pids: int = 512
    cpus: tuple[int, ...] = (0, 1)
    """CPU ids the run is pinned to (repeatable timing); clipped to the machine's CPUs."""
    output_mb: int = 256
    """Largest file (stdout and stderr included) a step may write; beyond it the step is killed (SIGXFSZ)."""
    wall_margin: float = 30.0
    """Seconds added to the sum of step timeouts before the whole run is killed."""


@dataclass
class StepResult:
    """What one step did."""

    name: str
    cmd: str
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    timed_out: bool = False
    skipped: bool = False
    truncated: bool = False
    reason: str = ""
    """Plain words for an abnormal end: timeout, killed by a signal, output limit, out of memory."""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.skipped

    def to_dict(self, with_output: bool = True) -> dict:
        data = asdict(self)
        if not with_output:
            data.pop("stdout")
            data.pop("stderr")
        return data


def explain_exit(code: int | None, timed_out: bool, limits: Limits) -> str:
    """Say in words why a step ended abnormally (empty for an ordinary exit)."""
    if timed_out:
        return "timed out and was killed"
    if code is None:
        return "did not run"
    sig = code - 128 if code > 128 else (-code if code < 0 else 0)
    if sig == 9:
        return f"killed by SIGKILL (most often the memory limit of {limits.memory_mb} MB)"
    if sig == 25:
        return f"stopped: wrote more than the output limit of {limits.output_mb} MB (SIGXFSZ)"
    if sig == 11:
        return "crashed with a segmentation fault (SIGSEGV)"
    if sig == 6:
        return "aborted (SIGABRT)"
    if sig:
        return f"killed by signal {sig}"
    return ""


def read_capped(path: Path) -> tuple[str, bool]:
    """Read a stream file keeping its head and tail; say whether anything was cut."""
    if not path.exists():
        return "", False
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if size <= KEEP_BYTES:
            return fh.read().decode("utf-8", "replace"), False
        head = fh.read(KEEP_BYTES // 2)
        fh.seek(size - KEEP_BYTES // 2)
        tail = fh.read()
    cut = size - len(head) - len(tail)
    return (head.decode("utf-8", "replace") + f"\n[... {cut} bytes cut ...]\n" + tail.decode("utf-8", "replace"),
            True)


def env_prefix(env: dict[str, str]) -> str:
    """Render `export K=V;` lines for a POSIX shell."""
    return "".join(f"export {k}={shlex.quote(v)}; " for k, v in env.items())
