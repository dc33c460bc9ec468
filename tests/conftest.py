"""Shared fixtures: the real Docker sandbox (session-wide), scratch trees, tree hashing."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
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


def outputs_with_edits(src: Path, edit_sets: list[list], work: Path) -> list[str]:
    """The stdout of the C program src, built with gcc -O2 -fopenmp -Wall -Werror and run on 2 threads, once per set
    of edits applied to a fresh copy of it (an empty set: the program as written)."""
    from hpcagent.tools.patch import apply_edits

    out = []
    for n, edits in enumerate(edit_sets):
        tree = work / f"v{n}"
        tree.mkdir()
        shutil.copy(src, tree / src.name)
        apply_edits(tree, edits)
        exe = tree / src.stem
        subprocess.run(["gcc", "-O2", "-fopenmp", "-Wall", "-Werror", str(tree / src.name), "-o", str(exe)], check=True)
        out.append(subprocess.run([str(exe)], check=True, capture_output=True, text=True,
                                  env={"OMP_NUM_THREADS": "2"}).stdout)
    return out


def optimize_copy(project: str, tmp_path: Path, run: str, race_run: str, *extra: str):
    """`hpcagent optimize` with the analysis planner in the Docker sandbox (3 timing reps at 2 threads, the top loop
    only) on a copy of tests/data/projects/<project>; asserts it accepted a change and left the copy's files as
    they were. Returns (the run directory, its transcript events)."""
    import json

    from typer.testing import CliRunner

    from hpcagent.agent.cli.main import app

    src = tmp_path / "src"
    shutil.copytree(DATA / "projects" / project, src)
    before = tree_digest(src)
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, ["optimize", str(src), "--build", "make", "--run", run, "--race-run", race_run,
                                      "--out", str(out), "--run-id", "r", "--quiet", "--sandbox", "docker",
                                      "--reps", "3", "--threads", "2", "--planner", "analysis", "--max-targets", "1",
                                      *extra])
    assert result.exit_code == 0, result.output
    assert tree_digest(src) == before
    run_dir = out / "r"
    return run_dir, [json.loads(x) for x in (run_dir / "transcript.jsonl").read_text().splitlines()]


def outputs_before_and_after(tmp_path: Path, compiler: str, suffix: str, text: str, changed: str,
                             threads: int = 3) -> tuple[str, str]:
    """What the program `text` prints, built with `compiler -O2 -Wall -Werror -fopenmp`, and what `changed` (its
    parallel version) prints at `threads` threads."""
    assert shutil.which(compiler), f"{compiler} is not installed"
    outs = []
    for name, source in (("plain", text), ("par", changed)):
        (tmp_path / f"{name}{suffix}").write_text(source)
        subprocess.run([compiler, "-O2", "-Wall", "-Werror", "-fopenmp", str(tmp_path / f"{name}{suffix}"), "-o",
                        str(tmp_path / name)], check=True, timeout=120)
        outs.append(subprocess.run([str(tmp_path / name)], check=True, capture_output=True, text=True, timeout=60,
                                   env={"OMP_NUM_THREADS": str(threads)}).stdout)
    return outs[0], outs[1]
