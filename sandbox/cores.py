"""The machine's cores between hpcagent processes: a timing has them alone, other sandbox work shares them.

Several hpcagent processes on one machine (jobs of a `batch --cluster local`, a Slurm worker running more than one
job, two users' `optimize`) must not build or race-check on the cores another is timing on. Every sandbox run takes
a shared lock on one file per machine, a timing takes it exclusively: a readers-writer lock made of flock(2), which
the kernel releases when a process dies, kill -9 included. A gate lock taken briefly before either keeps new shared
holders out while a timing waits, so timings are not starved by a stream of builds.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_held = threading.local()


def lock_path() -> Path:
    """One file per machine (HPCAGENT_CORES_LOCK overrides it, e.g. for tests)."""
    return Path(os.environ.get("HPCAGENT_CORES_LOCK") or "/tmp/hpcagent-cores.lock")


def _open(path: Path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except PermissionError:  # another user's file: reading is enough for flock
        fd = os.open(path, os.O_RDONLY)
    return fd


@contextmanager
def _lock(mode: int) -> Iterator[float]:
    path = lock_path()
    start = time.monotonic()
    gate, cores = _open(path.with_name(path.name + ".gate")), _open(path)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(cores, mode)
        finally:
            fcntl.flock(gate, fcntl.LOCK_UN)
        yield time.monotonic() - start
    finally:
        os.close(cores)  # closing releases the flock
        os.close(gate)


@contextmanager
def exclusive() -> Iterator[float]:
    """Hold the cores alone (a timing); yields the seconds waited for them."""
    if getattr(_held, "exclusive", False):
        yield 0.0
        return
    with _lock(fcntl.LOCK_EX) as waited:
        _held.exclusive = True
        try:
            yield waited
        finally:
            _held.exclusive = False


@contextmanager
def shared() -> Iterator[float]:
    """Use the cores beside other sandbox work, never during another process's timing (nothing to take when this
    thread already holds them alone)."""
    if getattr(_held, "exclusive", False):
        yield 0.0
        return
    with _lock(fcntl.LOCK_SH) as waited:
        yield waited
