"""Optimize end to end, in Docker, on programs written here in the styles real codes have: a C++ mini-app whose
Makefile hard-codes its compiler (with a define inside CXX), its link line and a gcc-only flag, and whose hot loop
is in a member function reading members through an inline accessor, printing its own run time; a proxy app whose
work is an outer loop calling a per-item function (a binary search); a Monte Carlo loop over histories whose
helpers advance each history's own seed through a pointer; a mesh class whose members are reached only through
accessors. No wrapper script, no Makefile edit: only the run commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA
from test_optimize import assert_evidence_of_accepted, optimize

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def run(tmp_path: Path, name: str, digest, *args: str) -> tuple[dict, str, list[dict]]:
    repo = tmp_path / name
    shutil.copytree(DATA / "projects" / name, repo)
    before = digest(repo)
    result, run_dir = optimize(repo, tmp_path / "runs", "--budget-minutes", "20", *args)
    assert result.exit_code == 0, result.output
    assert digest(repo) == before  # the user's tree is never written
    events = [json.loads(x) for x in (run_dir / "transcript.jsonl").read_text().splitlines()]
    return assert_evidence_of_accepted(run_dir), (run_dir / "report.md").read_text(), events


def test_cxx_member_function_loop_in_a_hard_coded_makefile_project(tmp_path: Path, digest):
    summary, report, events = run(tmp_path, "cxx_grid", digest, "--build", "make", "--run", "./grid 800 1200",
                                  "--race-run", "./grid 48 3")
    targets = next(e for e in events if e["kind"] == "targets")
    assert "error" not in targets["profile"]  # the C++ profile maps to source lines (demangled members, inlined at())
    # the sweep loop and the time loop around it (a team with the swap in a single block) are the targets
    by_line = {(t["file"], t["line"], t["function"]): t for t in targets["targets"]}
    assert by_line[("grid.cc", 11, "Grid::smooth")]["share"] > 0.8, targets
    loops = {lp["loop"]: lp for lp in summary["loops"]}
    # one team around the time loop: the sweep shares its rows, the swap of the two vectors runs once per step
    team = loops["grid.cc:10"]
    assert team["status"] == "accepted" and team["group"] == ["grid.cc:11"], report
    assert "grid.cc:10 `#pragma omp parallel`" in team["change"] and "grid.cc:11 `#pragma omp for`" in team["change"]
    assert "grid.cc:16 `#pragma omp single {`" in team["change"]
    # the race build dropped the gcc-only flag and said so; the program's own timing line was not compared
    assert "dropped flags its compiler refuses: `-fipa-pta`" in report
    assert "`Elapsed time:" in report and "reads as a timing" in report


def test_outer_loop_calling_a_per_item_function_is_the_target(tmp_path: Path, digest):
    summary, report, events = run(tmp_path, "lookups", digest, "--build", "make", "--run",
                                  "./lookups 200000 6000000", "--race-run", "./lookups 2000 20000")
    targets = next(e for e in events if e["kind"] == "targets")
    first = targets["targets"][0]
    # the binary search's while loop and the accumulation are in the callee: their time counts for the caller's loop
    assert (first["line"], first["function"]) == (43, "main") and first["share"] > 0.5, targets
    loops = {lp["loop"]: lp for lp in summary["loops"]}
    assert loops["lookups.c:43"]["status"] == "accepted", report
    assert loops["lookups.c:43"]["proof"] == "static"


def test_outer_loop_over_histories_with_their_own_random_streams(tmp_path: Path, digest):
    # each history's seed and output array are declared in its iteration and handed to helpers by pointer
    summary, report, events = run(tmp_path, "histories", digest, "--build", "make", "--run",
                                  "./histories 100000 40", "--race-run", "./histories 300 5")
    loops = {lp["loop"]: lp for lp in summary["loops"]}
    assert loops["histories.c:55"]["status"] == "accepted", report
    assert loops["histories.c:55"]["proof"] == "static"
    assert loops["histories.c:55"]["change"] == "#pragma omp parallel for reduction(+:tally)"
    # the per-step function's pole loop runs in calls from the history loop's body: once that loop is parallel,
    # it is not tried (a pragma there would open a nested team in every call)
    targets = next(e for e in events if e["kind"] == "targets")["targets"]
    assert {"line": 40, "inside": ["histories.c:55"]}.items() <= next(t for t in targets if t["line"] == 40).items()
    skips = {e["loop"]: e for e in events if e["kind"] == "skip"}
    assert skips["histories.c:40"]["inside"] == "histories.c:55", skips
    assert "histories.c:40" not in loops


def test_macro_heavy_kernels_are_analysed_as_the_compiler_sees_them(tmp_path: Path, digest):
    summary, report, events = run(tmp_path, "macro_kernels", digest, "--build", "make", "--run", "./kernels 2000",
                                  "--race-run", "./kernels 3")
    targets = next(e for e in events if e["kind"] == "targets")
    read = targets["profile"]["views"]
    assert read["preprocessed"] == ["kernels.c"] and read["raw"] == {}, read
    # the sweeps behind LIT(), (REAL) casts and NX/NY from the Makefile's -D: parallel, and the time loop around them
    # is tried as one group change
    tried = {t["line"]: t for t in targets["targets"]}
    assert tried[26]["verdict"] == "serial" and tried[27]["verdict"] == "parallel", tried
    accepted = [lp for lp in summary["loops"] if lp["status"] == "accepted"]
    assert {lp["loop"] for lp in accepted} & {"kernels.c:26", "kernels.c:27", "kernels.c:30"}, report
    patch = (tmp_path / "runs" / "r" / "patch.diff").read_text().splitlines()
    added = [ln[1:].strip() for ln in patch if ln.startswith("+") and not ln.startswith("+++")]
    assert added and all(ln.startswith("#pragma omp") for ln in added), added  # no macro expansion written back
    assert "analysed as the compiler sees them" in report


def test_outer_loop_with_a_scratch_buffer_gets_a_private_copy(tmp_path: Path, digest):
    summary, report, _ = run(tmp_path, "scratch_rows", digest, "--build", "make", "--run", "./rows 3000 2000",
                                  "--race-run", "./rows 40 200")
    loops = {lp["loop"]: lp for lp in summary["loops"]}
    # the row loop shares the 16-element buffer every iteration fills before reading: serial as written, parallel
    # with one buffer per thread (declared inside the loop body), proven by the analysis
    assert loops["rows.c:28"]["status"] == "accepted", report
    assert loops["rows.c:28"]["proof"] == "static"
    patch = (tmp_path / "runs" / "r" / "patch.diff").read_text()
    # the buffer's size as the compiler sees it (TAPS expanded by the preprocessed view)
    assert "+  #pragma omp parallel for\n   for (int r = 0; r < rows; r++) {\n+    double buf[16];" in patch


def test_loops_written_against_accessors_of_a_mesh_class_are_proven_and_accepted(tmp_path: Path, digest):
    # mesh.x(i), mesh.f(i) (defined out of the class), mesh.mass(i): accessors of private std::vector members, which
    # never overlap; the force loop is the hot one
    summary, report, _ = run(tmp_path, "cxx_mesh", digest, "--build", "make", "--run", "./mesh 20000 80",
                             "--race-run", "./mesh 400 2")
    loops = {lp["loop"]: lp for lp in summary["loops"]}
    assert loops["main.cc:8"]["status"] == "accepted" and loops["main.cc:8"]["proof"] == "static", report
    assert "may modify" not in report
