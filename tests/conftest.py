"""Shared fixtures: the real Docker sandbox (session-wide), scratch trees, tree hashing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def docker_sandbox():
    """The real Docker backend; its absence is an error here, not a skip (CI installs the engine and image)."""
    from hpcagent.sandbox.backends.container import DockerSandbox

    return DockerSandbox()


@pytest.fixture
def local_sandbox():
    from hpcagent.sandbox.backends.local import LocalSandbox

    return LocalSandbox(quiet=True)


def tree_digest(root: Path) -> dict[str, str]:
    """Map every file under root to the sha256 of its bytes (and mode), to prove a tree was not touched."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            st = p.lstat()
            data = os.readlink(p).encode() if p.is_symlink() else p.read_bytes()
            out[str(p.relative_to(root))] = hashlib.sha256(data).hexdigest() + f":{st.st_mode:o}"
    return out


@pytest.fixture
def digest():
    return tree_digest
