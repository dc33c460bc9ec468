"""The TSan parser against golden reports captured in the sandbox image (tests/data/tsan/regenerate.sh)."""

from __future__ import annotations

import pytest
from conftest import DATA

from hpcagent.tools.lvalue import assigned_on_line, variable_at
from hpcagent.tools.tsan import parse_tsan, summary_lines

GOLDEN = DATA / "tsan"
SOURCES = DATA / "races"


def flat(name: str, **kw) -> list[tuple]:
    races = parse_tsan((GOLDEN / name).read_text(), source_root=SOURCES, **kw)
    return [(d["file"], d["line"], d["variable"], d["kind"], d["other_line"], d["count"])
            for d in (r.to_dict() for r in races)]


@pytest.mark.parametrize("name, expected", [
    # stack scalar, missing reduction: the read's frame #0 has no line, so it maps to the pragma (line 8)
    ("r_scalar_sum.txt", [("r_scalar_sum.c", 10, "s", "write-read", 8, 1),
                          ("r_scalar_sum.c", 10, "s", "write-write", 10, 1)]),
    ("r_array_shift.txt", [("r_array_shift.c", 11, "a", "write-read", 9, 1)]),
    ("r_heap_histogram.txt", [("r_heap_histogram.c", 11, "hist", "write-write", 11, 2)]),
    ("r_global_counter.txt", [("r_global_counter.c", 10, "count", "write-read", 7, 1),
                              ("r_global_counter.c", 10, "count", "write-write", 10, 1)]),
    ("r_single_nowait.txt", [("r_single_nowait.c", 13, "scale", "read-write", 11, 1)]),
    ("r_atomic_vs_plain.txt", [("r_atomic_vs_plain.c", 17, "x", "read-write", 14, 1)]),
    ("r_cxx_lambda.txt", [("r_cxx_lambda.cpp", 8, "total", "write-read", 9, 1),
                          ("r_cxx_lambda.cpp", 8, "total", "write-write", 8, 1)]),
    ("r_struct_member.txt", [("r_struct_member.c", 12, "st->total", "write-read", 10, 1),
                             ("r_struct_member.c", 12, "st->total", "write-write", 12, 1)]),
    # frame #0 has a line but no column: the variable comes from what the line assigns
    ("r_inner_index.txt", [("r_inner_index.c", 16, "j", "write-write", 16, 1)]),
    ("c_reduction_sum.txt", []),
    # race-free task code: libomp's reused task descriptors are reported, and dropped by default
    ("c_task_taskwait.txt", []),
    # other report kinds are skipped without error
    ("use_after_free.txt", []),
    ("thread_leak.txt", []),
])
def test_golden_reports(name, expected):
    assert flat(name) == expected


def test_access_details_of_a_global_race():
    (race,) = parse_tsan((GOLDEN / "r_atomic_vs_plain.txt").read_text(), source_root=SOURCES)
    first, second = race.first, race.second
    assert (first.kind, first.size, first.atomic, first.thread) == ("read", 4, False, "T1")
    assert (second.kind, second.size, second.atomic, second.thread) == ("write", 4, True, "main")
    assert (first.file, first.line, first.column, first.function) == (
        "r_atomic_vs_plain.c", 17, 21, ".omp_outlined._debug__")
    assert (race.location_kind, race.location_name, race.threads) == ("global", "x", ["T1", "main"])


def test_stack_location_ignores_the_bogus_global_line():
    races = parse_tsan((GOLDEN / "r_single_nowait.txt").read_text(), source_root=SOURCES)
    assert [(r.location_kind, r.location_text, r.location_name) for r in races] == [
        ("stack", "stack of main thread", "")]


def test_heap_location_and_inexact_access():
    races = parse_tsan((GOLDEN / "r_scalar_sum.txt").read_text(), source_root=SOURCES)
    read_side = races[0].first
    # frame #0 is '.omp_outlined. /w/r_scalar_sum.c' with no line: the pragma's frame is used, marked inexact
    assert (read_side.kind, read_side.line, read_side.exact, read_side.frames[0].line) == ("read", 8, False, 0)
    (heap,) = parse_tsan((GOLDEN / "r_heap_histogram.txt").read_text())
    assert (heap.location_kind, heap.heap_block_size, heap.runtime_memory) == ("heap", 32, False)


def test_runtime_task_memory_is_kept_on_request():
    races = parse_tsan((GOLDEN / "c_task_taskwait.txt").read_text(), keep_runtime=True)
    assert [(r.location_kind, r.heap_block_size, r.runtime_memory, r.count) for r in races] == [
        ("heap", 1048576, True, 2)]


def test_without_source_root_only_globals_are_named():
    races = parse_tsan((GOLDEN / "r_global_counter.txt").read_text())
    assert {r.variable for r in races} == {"count"}
    races = parse_tsan((GOLDEN / "r_scalar_sum.txt").read_text())
    assert {r.variable for r in races} == {""}


def test_root_prefix_is_configurable():
    races = parse_tsan((GOLDEN / "r_array_shift.txt").read_text(), root_prefixes=("/nowhere/",))
    assert races[0].to_dict()["file"] == "/w/r_array_shift.c"


def test_summary_lines():
    races = parse_tsan((GOLDEN / "r_heap_histogram.txt").read_text(), source_root=SOURCES)
    assert summary_lines(races) == ["r_heap_histogram.c:11 hist (write-write with r_heap_histogram.c:11), 2 reports"]


def test_reports_fold_across_runs_in_either_order():
    text = (GOLDEN / "r_single_nowait.txt").read_text()
    # The same pair of lines seen with the accesses swapped (as another run may print it) folds into one race.
    swapped = text.replace("Read of size 4", "PLACEHOLDER").replace("Previous write of size 4", "Read of size 4")
    swapped = swapped.replace("PLACEHOLDER", "Previous write of size 4")
    races = parse_tsan(text + swapped, source_root=SOURCES)
    assert [(r.count, r.key()) for r in races] == [(2, (("r_single_nowait.c", 11), ("r_single_nowait.c", 13)))]


def test_other_report_kinds_do_not_break_the_next_race():
    # A constructed stream: a signal-unsafe report and a vptr race around a real captured data race.
    odd = ("==================\nWARNING: ThreadSanitizer: signal-unsafe call inside of a signal (pid=7)\n"
           "    #0 malloc <null> (a.out+0x1)\n\nSUMMARY: ThreadSanitizer: signal-unsafe call\n"
           "==================\nWARNING: ThreadSanitizer: data race on vptr (ctor/dtor vs virtual call) (pid=7)\n"
           "  Write of size 8 at 0x7b04 by main thread:\n    #0 B::~B() /w/v.cpp:9:3 (a.out+0x2)\n"
           "  Previous read of size 8 at 0x7b04 by thread T1:\n    #0 call(A*) /w/v.cpp:14:6 (a.out+0x3)\n"
           "SUMMARY: ThreadSanitizer: data race on vptr\n")
    races = parse_tsan(odd + (GOLDEN / "r_array_shift.txt").read_text(), source_root=SOURCES)
    assert [(r.to_dict()["file"], r.to_dict()["line"], r.kind, r.first.function) for r in races] == [
        ("v.cpp", 9, "write-read", "B::~B()"), ("r_array_shift.c", 11, "write-read", ".omp_outlined._debug__")]


def test_garbage_and_truncated_input():
    assert parse_tsan("") == []
    assert parse_tsan("WARNING: ThreadSanitizer: data race (pid=1)\n  Write of size 4 at 0x1 by thread T1:\n") == []
    assert parse_tsan("\x1b[1m\x1b[31mnot a report\x1b[0m") == []


@pytest.mark.parametrize("text, column, name", [
    ("    s += a[i];", 7, "s"),          # clang puts compound assignments on the operator
    ("    a[i + 1] = a[i] + 1.0;", 14, "a"),
    ("    a[i + 1] = a[i] + 1.0;", 5, "a"),
    ("    st->total += x[i];", 15, "st->total"),
    ("    st->total += x[i];", 5, "st->total"),
    ("    *out += x[i] * y[i];", 10, "out"),
    ("      g[0][j] += g[i][j];", 15, "g"),
    ("    hist[(i * 7) % 8]++;", 22, "hist"),
    ("  ++k;", 3, "k"),
    ("      snapshot[1] = x;", 21, "x"),
    ("  s.parts[3].v = 1;", 3, "s.parts.v"),
    ("#pragma omp parallel for", 1, None),
    ("    return 0;", 5, None),
])
def test_variable_at(text, column, name):
    assert variable_at(text, column) == name


def test_assigned_on_line():
    assert assigned_on_line("    for (j = 0; j < N; j++)") == "j"
    assert assigned_on_line("  if (x == 3) y++;") == "y"
    assert assigned_on_line("  printf(\"%d\\n\", n);") is None
