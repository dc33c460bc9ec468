"""Each folder's README.md names every module in it (tools/ and its loop analyser)."""

from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"


@pytest.mark.parametrize("folder", [TOOLS, TOOLS / "loops"], ids=["tools", "tools/loops"])
def test_readme_lists_every_module(folder):
    text = (folder / "README.md").read_text()
    modules = sorted(p.name for p in folder.glob("*.py") if p.name != "__init__.py")
    assert [m for m in modules if f"`{m}`" not in text] == []
