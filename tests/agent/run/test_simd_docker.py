"""`omp simd` end to end: `hpcagent optimize` on a row-sum nest in the real Docker sandbox.

The profile build's compile is run again in the sandbox with gcc's vectorizer dump; gcc keeps the row's
floating-point sum in order (a fold-left reduction), so once the plain `parallel for` is accepted the analysis offers
it with `omp simd reduction(+:s)` on the inner loop, which is built, race-checked, compared and timed like any
change and kept only when faster beyond the noise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import optimize_copy

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_a_sum_the_compiler_kept_in_order_gets_omp_simd_in_the_sandbox(tmp_path: Path):
    run_dir, events = optimize_copy("rowdot", tmp_path, "./rowdot 600 1500", "./rowdot 40 3")
    # the compiler's own word on the inner loop, from the project's compile command in the sandbox
    report = json.loads((run_dir / "work" / "views" / "vectorize.json").read_text())
    (lines,) = report.values()
    assert lines.get("23") == "in-order" and lines.get("10") in (None, "missed", "vectorized"), lines
    proposals = [e["proposal"] for e in events if e["kind"] == "proposal" and e["loop"] == "rowdot.c:20"]
    checks = [e for e in events if e["kind"] == "check" and e["loop"] == "rowdot.c:20"]
    assert [p.get("locality", "") for p in proposals][:2] == ["", "simd"], proposals
    simd = proposals[1]
    assert [(e["start_line"], e["new_text"].strip()) for e in simd["edits"]] == [
        (20, "#pragma omp parallel for"), (23, "#pragma omp simd reduction(+:s)")]
    check = checks[1]
    assert all(r["ok"] and r["races"] == 0 for r in check["race"]["runs"]), check
    assert check["output"]["ok"], check
    summary = json.loads((run_dir / "summary.json").read_text())
    loop = {lp["loop"]: lp for lp in summary["loops"]}["rowdot.c:20"]
    # the vector sum and two threads: beyond what the threads alone gave, so the simd form is the one kept
    assert loop["status"] == "accepted" and "#pragma omp simd reduction(+:s)" in loop["change"], loop
    assert checks[1]["timing"]["speedup"] > checks[0]["timing"]["speedup"], checks
    patch = (run_dir / "patch.diff").read_text()
    added = [ln[1:].strip() for ln in patch.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    # the hot loop's two lines, and a pragma for each small loop accepted after compose (init's loop, about 1% of
    # the run, when its own time is faster: agent/run/remainder.py)
    small = [lp for lp in summary["loops"] if lp.get("remainder") and lp["status"] == "accepted"]
    assert [a for a in added if "simd" in a] == ["#pragma omp simd reduction(+:s)"], patch
    assert added.count("#pragma omp parallel for") == 1 + len(small) and len(added) == 2 + len(small), patch
    assert "simd rewrite with" in (run_dir / "report.md").read_text()
