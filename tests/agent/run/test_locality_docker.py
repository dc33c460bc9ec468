"""Locality rewrites end to end: `hpcagent optimize` on a textbook i-j-k matrix product in the real Docker sandbox.

The plain `parallel for` is accepted first; the analysis also offers tilings of the nest and the loop order i-k-j
(tools/loops/interchange.py), which are then tried one after another (budget.locality), each built, race-checked
under ThreadSanitizer, its output compared and timed like any change; the fastest is kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import optimize_copy

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_a_column_walking_product_is_reordered_and_tiled_in_the_sandbox(tmp_path: Path):
    run_dir, events = optimize_copy("matmul_ijk", tmp_path, "./matmul 700", "./matmul 40")
    proposals = [e["proposal"] for e in events if e["kind"] == "proposal" and e["loop"] == "matmul.c:20"]
    checks = [e for e in events if e["kind"] == "check" and e["loop"] == "matmul.c:20"]
    kinds = [p.get("locality", "") for p in proposals]
    # the plain pragma first, then the first tiling, then the loop order (the search goes on after it either way)
    assert kinds[:3] == ["", "tile", "interchange"], kinds
    assert any(e["kind"] == "explore" for e in events)
    for p, check in zip(proposals, checks):
        # every rewrite tried was built, race-free at every thread count and gave the original's output
        assert all(r["ok"] and r["races"] == 0 for r in check["race"]["runs"]), (p["reason"], check)
        assert check["output"]["ok"], check
    swap = proposals[2]["edits"][0]["new_text"]
    assert swap.index("for (int k") < swap.index("for (int j")
    summary = json.loads((run_dir / "summary.json").read_text())
    loop = {lp["loop"]: lp for lp in summary["loops"]}["matmul.c:20"]
    assert loop["status"] == "accepted", loop
    # the i-k-j walk reads B along its rows: far more than two threads alone give on the column walk
    assert loop["speedup"] > 2.5, loop
    report = (run_dir / "report.md").read_text()
    assert "lexicographically positive" in report and "fully permutable" in report
    # each rewrite is shown beside the nest as written
    assert "interchange rewrite with" in report and "+++ matmul.c (interchange)" in report
    assert "--- matmul.c (written)" in report and "+++ matmul.c (tile)" in report
