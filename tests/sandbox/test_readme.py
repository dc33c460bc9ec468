"""sandbox/README.md names every module of sandbox/ and sandbox/backends/."""

from pathlib import Path

SANDBOX = Path(__file__).resolve().parents[2] / "sandbox"


def test_readme_lists_every_module():
    text = (SANDBOX / "README.md").read_text()
    modules = [p.relative_to(SANDBOX).as_posix() for p in sorted(SANDBOX.rglob("*.py"))]
    named = [m for m in modules if m != "__init__.py"]
    assert [m for m in named if f"`{m}`" not in text and f"`{Path(m).name}`" not in text] == []
