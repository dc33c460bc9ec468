"""Loop timers (agent/run/loop_times.py): the timer lines compile in strict C89 and C++ with a change's pragmas,
go around the pragma lines a loop already has, print each loop's own time at exit, and are judged like a timing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hpcagent.agent.run.loop_times import MARK, describe, judge, read_times, start_line, timer_edits, with_timers
from hpcagent.records import Edit, LoopTarget
from hpcagent.tools.patch import apply_to_text

SOURCE = """#include <stdio.h>
int main(void)
{
    double s = 0, x[1000];
    int i;
    for (i = 0; i < 1000; i++)
        x[i] = i;
#pragma GCC unroll 4
    for (i = 0; i < 1000; i++)
        s += x[i];
    printf("%g\\n", s);
    return 0;
}
"""
LOOPS = [LoopTarget("a.c", 6, 7, "main", 1, 0.1), LoopTarget("a.c", 9, 10, "main", 1, 0.1)]
CHANGE = [Edit("a.c", 6, 5, "#pragma omp parallel for\n")]


def timed_text() -> str:
    return apply_to_text(SOURCE, with_timers(CHANGE, timer_edits(LOOPS, lambda f: SOURCE.splitlines())))


def test_a_timer_starts_above_the_pragmas_of_its_loop_and_one_loop_ends_before_the_next_starts():
    lines = SOURCE.splitlines()
    assert start_line(lines, 9) == 8 and start_line(lines, 6) == 6
    text = timed_text().splitlines()
    first = text.index("{ double hpcagent_t0_ = omp_get_wtime();")
    assert text[first + 1] == "#pragma omp parallel for" and text[first + 2].lstrip().startswith("for (i = 0")
    end = text.index("hpcagent_spent_[0] += omp_get_wtime() - hpcagent_t0_; ++hpcagent_entries_[0]; }")
    assert text[end + 1] == "{ double hpcagent_t1_ = omp_get_wtime();" and text[end + 2] == "#pragma GCC unroll 4"


@pytest.mark.parametrize("compiler,suffix,flags", [("gcc", ".c", ["-std=c89", "-pedantic"]), ("g++", ".cpp", [])])
def test_the_timed_program_builds_strictly_and_prints_each_loops_own_time(tmp_path: Path, compiler, suffix, flags):
    src = tmp_path / f"a{suffix}"
    src.write_text(timed_text())
    subprocess.run([compiler, *flags, "-Wall", "-Wextra", "-Werror", "-O2", "-fopenmp", str(src), "-o",
                    str(tmp_path / "a")], check=True, capture_output=True)
    run = subprocess.run([str(tmp_path / "a")], capture_output=True, text=True, check=True,
                         env={"OMP_NUM_THREADS": "2"})
    assert run.stdout == "499500\n"  # the program's own output untouched; the times go to stderr
    times = read_times(run.stderr)
    assert sorted(times) == ["a.c:6", "a.c:9"] and all(n == 1 and 0 < s < 1 for s, n in times.values())


def test_each_loop_is_judged_like_a_timing_and_a_missing_timer_line_is_said():
    def err(a: float, b: float) -> str:
        return f"noise\n{MARK} a.c:6 {a} 3\n{MARK} a.c:9 {b} 3\n"
    runs = [(side, err(0.02, 0.01) if side == "a" else err(0.01, 0.01)) for side in "abbaabbaab"]
    out = judge(["a.c:6", "a.c:9", "a.c:20"], runs, 1.2)
    assert out["a.c:6"].beyond_noise and out["a.c:6"].speedup == 2.0 and out["a.c:6"].verdict == "faster"
    assert not out["a.c:9"].beyond_noise and out["a.c:9"].verdict == "within noise"
    assert out["a.c:20"] == "the timed run never ran the loop (or its stderr was not kept)"
    assert describe("a.c:6", out["a.c:6"]).startswith("a.c:6: its own time 2.00x (min 2.00, max 2.00; median")
    runs[0] = ("a", "killed\n")
    assert judge(["a.c:6"], runs, 1.2)["a.c:6"] == "the loop's timer printed in 4 of 5 reference runs and 5 of 5 " \
                                                   "runs with the change"


def test_a_loop_id_with_a_space_is_read_back_and_a_malformed_line_is_not():
    err = f"{MARK} my src/a.c:6 0.25 3\n{MARK} b.c:2 zero 1\n{MARK}\nhpcagent-loop-timer x 1 1\n"
    assert read_times(err) == {"my src/a.c:6": (0.25, 3)}
