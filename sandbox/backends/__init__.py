"""Pick a sandbox backend by name: docker, local, or auto (docker when an engine answers)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from hpcagent.errors import BadInput, SandboxUnavailable

BACKENDS = {"docker": "hpcagent.sandbox.backends.container:DockerSandbox",
            "local": "hpcagent.sandbox.backends.local:LocalSandbox"}
# Never copied into a scratch tree: VCS data and hpcagent's own outputs.
SKIP = shutil.ignore_patterns(".git", ".hg", ".svn", ".hpcagent", "__pycache__")


def get_sandbox(name: str = "auto", **kwargs):
    """Return a sandbox; 'auto' falls back to local only when no engine answers, and says so."""
    import importlib

    if name not in (*BACKENDS, "auto"):
        raise BadInput(f"unknown sandbox backend {name!r}", f"use one of: auto, {', '.join(BACKENDS)}")
    if name == "auto":
        try:
            return get_sandbox("docker", **kwargs)
        except SandboxUnavailable as exc:
            if "image" in exc.message:
                raise
            print(f"{exc.message}; falling back to the local backend.", file=sys.stderr)
            return get_sandbox("local")
    module, cls = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)(**kwargs)


def copy_tree(src: Path, dest: Path) -> Path:
    """Copy a source tree (or a single file) into dest, which must not exist; the source is only read."""
    src = Path(src).resolve()
    if src.is_file():
        dest.mkdir(parents=True)
        shutil.copy2(src, dest / src.name)
    else:
        shutil.copytree(src, dest, symlinks=True, ignore=SKIP)
    return dest


def remove_added(orig: Path, tree: Path) -> int:
    """Delete the files of tree (a copy of orig, maybe edited) that orig does not have: what a build made there
    (objects, programs, generated headers such as CoMD's CoMD_info.h, which names the compiler that made it). A
    tree's race-check build comes before its timed build; this one must not reuse what that one made. The
    sandbox's own folders (`.hpcagent-*`) stay. Returns how many files went."""
    gone = 0
    for path in sorted(Path(tree).rglob("*"), reverse=True):
        rel = path.relative_to(tree)
        if rel.parts[0].startswith(".hpcagent") or (Path(orig) / rel).exists() or path.is_dir():
            continue
        path.unlink()
        gone += 1
    return gone


def scratch_dir(prefix: str = "hpcagent-") -> Path:
    """Make a private scratch directory."""
    return Path(tempfile.mkdtemp(prefix=prefix))
