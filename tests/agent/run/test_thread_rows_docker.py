"""A loop written for a thread team, end to end: `hpcagent optimize` on tests/data/projects/team_rows in the real
Docker sandbox. The pass over the samples adds into rows indexed by omp_get_thread_num(); the change proposed and
accepted is the team it was written for (`omp parallel` on its block, `omp for` on the loop), race-free under
ThreadSanitizer at every thread count of the race check, with the original's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import optimize_copy

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_per_thread_partial_sums_get_their_team_in_the_sandbox(tmp_path: Path):
    run_dir, events = optimize_copy("team_rows", tmp_path, "./groups 200000 30", "./groups 3000 3")
    (check,) = [e for e in events if e["kind"] == "check" and e["loop"] == "groups.c:59"]
    assert check["race"]["runs"] and all(r["ok"] and r["races"] == 0 for r in check["race"]["runs"]), check
    assert {r["threads"] for r in check["race"]["runs"]} >= {1, 2}, check["race"]["runs"]
    assert check["output"]["ok"], check
    summary = json.loads((run_dir / "summary.json").read_text())
    loop = {lp["loop"]: lp for lp in summary["loops"]}["groups.c:59"]
    assert loop["status"] == "accepted", loop
    patch = (run_dir / "patch.diff").read_text()
    added = [ln[1:].strip() for ln in patch.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert added == ["#pragma omp parallel", "#pragma omp for reduction(+:moved) private(j) private(who)"], patch
    assert "written for a thread team" in (run_dir / "report.md").read_text()
