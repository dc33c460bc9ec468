"""Edits and patches on files as users have them: Windows line endings kept, data files never diffed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hpcagent.records import Edit
from hpcagent.tools.patch import added_lines, apply_edits, insert_before, unified_diff

CRLF = b"int main(void) {\r\n    for (int i = 0; i < 4; i++)\r\n        a[i] = i;\r\n    return 0;\r\n}\r\n"


def test_a_crlf_file_keeps_its_line_endings_and_the_patch_applies_with_git(tmp_path: Path):
    orig, new = tmp_path / "orig", tmp_path / "new"
    orig.mkdir()
    (orig / "k.c").write_bytes(CRLF)
    (orig / "data.txt").write_bytes(b"1 2 3\n" * 1000)
    shutil.copytree(orig, new)
    lines = CRLF.decode().splitlines()
    apply_edits(new, [insert_before("k.c", 2, "#pragma omp parallel for", lines)])
    assert (new / "k.c").read_bytes() == CRLF.replace(b"    for", b"    #pragma omp parallel for\r\n    for", 1)
    assert added_lines(orig, new) == [("k.c", 2, "    #pragma omp parallel for")]
    patch = unified_diff(orig, new, ["k.c"])
    subprocess.run(["git", "init", "-q", str(orig)], check=True)
    (tmp_path / "p.diff").write_bytes(patch.encode())
    subprocess.run(["git", "-C", str(orig), "apply", str(tmp_path / "p.diff")], check=True)
    assert (orig / "k.c").read_bytes() == (new / "k.c").read_bytes()


def test_only_changed_sources_are_read_for_added_lines(tmp_path: Path):
    orig, new = tmp_path / "orig", tmp_path / "new"
    orig.mkdir()
    (orig / "k.c").write_text("int x;\n")
    (orig / "power.dat").write_text("0.5\n" * 10)
    shutil.copytree(orig, new)
    (new / "power.dat").write_text("0.5\n" * 11)  # a data file the run rewrote: not a change to the code
    apply_edits(new, [Edit("k.c", 1, 0, "int y;\n")])
    assert added_lines(orig, new) == [("k.c", 1, "int y;")]
