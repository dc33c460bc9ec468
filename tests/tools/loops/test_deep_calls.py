"""Outer loops whose body calls a per-item function that writes through a pointer it is handed into memory the
object reaches (`atoms->gid[k] = ...`, a molecular-dynamics code's per-cell sort with qsort on a local array): which
elements each call writes, the analysis cannot tell, so the loop is not proven, but its one obstacle is left to the
sandbox as an unproven candidate (race check at several thread counts, output comparison). A call that also does
I/O, writes a global or calls qsort with an unknown comparison stays a plain "unknown", with no candidate."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import DATA

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.calls import file_effects
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.patch import apply_to_text

CELLS = (DATA / "calls" / "cells.c").read_text()

MAIN = (DATA / "calls" / "cells_main.c").read_text()


def reports(text: str) -> dict[int, object]:
    return {r.line: r for r in analyze_source(parse(text, "c"), "cells.c")}


def line_of(text: str, needle: str) -> int:
    return next(i + 1 for i, ln in enumerate(text.splitlines()) if needle in ln) + 1  # the loop below the header


def test_summaries_of_writes_through_what_a_pointer_reaches():
    eff = file_effects(parse(CELLS, "c"))
    assert eff["by_id"].pure, eff["by_id"].reason
    # qsort on its own array, then writes into the arrays its Atoms pointer reaches
    assert eff["sort_cell"].only_deep and eff["sort_cell"].deep_writes == {0}, eff["sort_cell"]
    assert eff["sort_cell"].reason == "sort_cell writes atoms->gid"
    assert not eff["sort_loudly"].only_deep and "printf" in eff["sort_loudly"].reason
    assert not eff["sort_counted"].only_deep and "noisy" in eff["sort_counted"].reason  # a comparison with state
    assert eff["clear_row"].only_deep and eff["clear_row"].deep_writes == {0}  # memset into what sim reaches
    assert eff["shift_rows"].only_refs and eff["shift_rows"].pointer_writes == {0}  # memcpy into *dst itself


def test_the_outer_loop_over_cells_gets_an_unproven_candidate_and_the_others_none():
    found = reports(CELLS)
    sort_all = found[line_of(CELLS, "void sort_all(Sim")]
    assert sort_all.verdict == "unknown" and sort_all.reason == "call to sort_cell: sort_cell writes atoms->gid"
    assert [(c.proof, c.pragma) for c in sort_all.candidates] == [("unproven", "#pragma omp parallel for")]
    for name in ("void sort_all_loudly", "void sort_all_counted"):
        rep = found[line_of(CELLS, name)]
        assert rep.verdict == "unknown" and rep.candidates == [], (name, rep.reason)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_the_candidate_builds_and_prints_what_the_serial_program_prints(tmp_path):
    text = CELLS + MAIN
    rep = reports(text)[line_of(text, "void sort_all(Sim")]
    changed = apply_to_text(text, rep.candidates[0].edits)
    outs = []
    for name, src, flags in (("serial", text, []), ("omp", changed, ["-fopenmp"])):
        (tmp_path / f"{name}.c").write_text(src)
        subprocess.run(["gcc", "-O2", "-Wall", "-Werror", "-Wno-unused-function", *flags, "-o", str(tmp_path / name),
                        str(tmp_path / f"{name}.c")], check=True)
        outs.append(subprocess.run([str(tmp_path / name)], capture_output=True, text=True, check=True,
                                   env={"OMP_NUM_THREADS": "3"}).stdout)
    assert "#pragma omp parallel for" in changed and outs[0] == outs[1] and float(outs[0]) > 0, outs


def test_a_tree_with_several_versions_of_a_program_reads_each_callee_from_the_callers_directory(tmp_path):
    """CoMD's layout: src-serial, src-openmp and src-mpi each define the same functions; a call is summarised from
    the definition in the caller's own directory, not joined with the other versions' (which would lose the
    summary)."""
    from hpcagent.tools.loops.analysis import rank_targets

    loop = "void sort_all(Atoms *atoms, int n) {\n    for (int c = 0; c < n; ++c)\n        put(atoms, c);\n}\n"
    head = "typedef struct { int *gid; } Atoms;\nvoid put(Atoms *atoms, int c);\n"
    for name, body in (("deep", "atoms->gid[c * 4] = c;"), ("global", "last = c; atoms->gid[c] = c;")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "cell.c").write_text(head.replace("void put", "int last;\nvoid put", name == "global")
                                                + "void put(Atoms *atoms, int c) { " + body + " }\n")
        (tmp_path / name / "main.c").write_text(head + loop)
    found = {t.loop_id: t for t in rank_targets(tmp_path)}
    assert found["deep/main.c:4"].proposals == 1, found["deep/main.c:4"].reason
    assert found["deep/main.c:4"].reason == "call to put: put writes atoms->gid"
    assert found["global/main.c:4"].proposals == 0 and found["global/main.c:4"].reason == "call to put: put writes last"
