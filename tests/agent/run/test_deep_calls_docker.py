"""A per-cell function called from an outer loop, in a real run: `hpcagent optimize` in the Docker sandbox on a
molecular-dynamics style sort (each cell's atoms copied to a local array, sorted with qsort, written back through
the Atoms pointer). The analysis cannot tell which elements each call writes, so the loop's `parallel for` is
unproven; the race check (ThreadSanitizer at 1-4 threads and perturbed schedules) and the output comparison speak
for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA
from test_unproven_docker import optimize, project

from hpcagent.tools.loops.analysis import candidates_for


@pytest.mark.docker
@pytest.mark.slow
def test_real_outer_loop_calling_a_per_cell_sort_passes_the_race_check_and_output_as_unproven(tmp_path: Path):
    source = (DATA / "calls" / "cells.c").read_text() + (DATA / "calls" / "cells_main.c").read_text()
    repo = project(tmp_path / "cells", source, "8000 30", "300 2")
    line = next(n for n, text in enumerate(source.splitlines(), 1) if "void sort_all(Sim" in text) + 1
    assert [(c.proof, c.pragma) for c in candidates_for(repo, "app.c", line)] == [
        ("unproven", "#pragma omp parallel for")]
    result, run_dir, events = optimize(repo, tmp_path / "runs")
    assert result.exit_code in (0, 3), result.output
    checks = [e for e in events if e["kind"] == "check" and e["loop"] == f"app.c:{line}"]
    assert checks, [e.get("loop") for e in events if e["kind"] == "target"]
    # race-free at every thread count and schedule, every changed line run by the race input, the output matched;
    # only the timing depends on how busy the machine is
    first = checks[0]
    assert first["stage"] in ("timing", "passed") and first["unexecuted"] == [], first["stage"]
    assert all(r["ok"] and r["races"] == 0 for r in first["race"]["runs"])
    assert sorted({r["threads"] for r in first["race"]["runs"]}) == [1, 2, 3, 4]
    summary = json.loads((run_dir / "summary.json").read_text())
    entry = next(lp for lp in summary["loops"] if lp["loop"] == f"app.c:{line}")
    if entry["status"] == "accepted":
        assert entry["proof"] == "unproven"
        assert "#pragma omp parallel for" in (run_dir / "patch.diff").read_text()
    else:
        assert first["stage"] == "timing", entry
    assert "void sort_all" in (repo / "app.c").read_text() and "#pragma" not in (repo / "app.c").read_text()
