"""The shape of the code: every module named in its folder's README, dependencies pointing one way, no huge module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

PACKAGES = ["agent", "agent/cli", "agent/critics", "agent/models", "agent/planners", "agent/run", "sandbox",
            "sandbox/backends", "tools", "tools/loops", "prompts"]
SOURCES = [p for p in REPO.rglob("*.py") if not ({".venv", ".git", "kernels", "examples", "data"} &
                                                  set(p.relative_to(REPO).parts))]


def readme_for(folder: Path) -> tuple[Path, str]:
    """The README that describes folder's modules: its own, else its parent's (naming them as sub/module.py)."""
    if (folder / "README.md").exists():
        return folder / "README.md", ""
    return folder.parent / "README.md", folder.name + "/"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_is_named_in_its_readme(package: str):
    folder = REPO / package
    readme, prefix = readme_for(folder)
    text = readme.read_text()
    modules = sorted(p.name for p in folder.glob("*.py") if p.name != "__init__.py" or prefix)
    assert [m for m in modules if f"`{prefix}{m}`" not in text] == [], readme


def test_the_modules_below_the_folders_are_named_in_the_readme():
    text = (REPO / "README.md").read_text()
    assert [p.name for p in REPO.glob("*.py") if p.name != "__init__.py" and f"`{p.name}`" not in text] == []


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


@pytest.mark.parametrize("layer", ["tools", "sandbox", "prompts"])
def test_lower_layers_never_import_agent(layer: str):
    offenders = {str(p.relative_to(REPO)): sorted(m for m in imports(p) if m.startswith("hpcagent.agent"))
                 for p in (REPO / layer).rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_records_import_nothing_above_them():
    for name in ("errors.py", "serial.py", "records.py", "evidence.py"):
        above = [m for m in imports(REPO / name) if m.startswith(("hpcagent.agent", "hpcagent.tools",
                                                                   "hpcagent.sandbox"))]
        assert above == [], name


def test_no_module_over_400_lines():
    assert {str(p.relative_to(REPO)): n for p in SOURCES if (n := len(p.read_text().splitlines())) > 400} == {}
