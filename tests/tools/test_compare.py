"""Output comparison: line by line, numbers within tolerances, and what changes between the original's own runs
(timings, dates) left out and said."""

from __future__ import annotations

from hpcagent.evidence import Baseline, OutputMask
from hpcagent.tools.compare import TIMING, compare_text, learn_mask

RUN1 = """Run started Wed Dec  2 17:34:05 2026
grid 800 x 800, 1500 sweeps
checksum 1.6783227599e+05
Elapsed time: 0.015840 s
iters 12 residual 3.5e-07 seed 81723
"""
RUN2 = RUN1.replace("17:34:05", "17:34:07").replace("0.015840", "0.016903").replace("81723", "90211")


def test_what_changes_between_the_originals_runs_is_left_out_and_said():
    mask = learn_mask([RUN1, RUN2])
    assert mask.lines == [0, 3]  # a clock time, a timing
    assert mask.numbers == [[4, 2]]  # the seed: the other numbers of that line still count
    assert any("number 3 (81723)" in note for note in mask.notes)
    candidate = RUN1.replace("0.015840", "0.009").replace("17:34:05", "18:01:00").replace("81723", "5")
    assert compare_text(RUN1, candidate, mask=mask) is None
    wrong = RUN1.replace("3.5e-07", "4.5e-07")
    assert compare_text(RUN1, wrong, mask=mask) == \
        "line 5 `iters 12 residual 3.5e-07 seed 81723`: number 2: expected 3.5e-07, got 4.5e-07 (rtol 1e-06, atol 1e-09)"
    assert "expected 'grid'" in compare_text(RUN1, RUN1.replace("grid", "grud"), mask=mask)
    assert compare_text(RUN1, RUN1 + "extra line\n", mask=mask) == "expected 5 lines, got 6"


def test_without_a_mask_everything_is_compared():
    assert compare_text(RUN1, RUN2) is not None
    assert learn_mask([RUN1, RUN2], auto=False).lines == []
    assert compare_text("sum = 1.000000001e+03\nok\n", "sum = 1.000000002e+03  \n\nok") is None  # blank lines


def test_user_patterns_ignore_only_and_tolerances():
    text = "host node17\nenergy 1.000000\npressure 2.000\n"
    mask = learn_mask([text, text], ignore=["^host "], tolerances={"^energy": 1e-3})
    assert compare_text(text, "host node3\nenergy 1.000400\npressure 2.000\n", mask=mask) is None
    assert "pressure" in compare_text(text, "host node3\nenergy 1.0004\npressure 2.001\n", mask=mask)
    assert "energy" in compare_text(text, "host node3\nenergy 1.01\npressure 2.000\n", mask=mask)
    only = learn_mask([text], only=["^energy"])
    assert compare_text(text, "whatever\nenergy 1.0\nelse 9\n", mask=only) is None


def test_timing_pattern_reads_timings_not_results():
    for line in ("Elapsed time: 1.2", "Total time = 3 s", "kernel took 0.25 s", "Compute time (s): 4.1",
                 "solver time 2.0", "Performance: 12.3 GFLOP/s", "3.2 MFLOPS", "done at 12:01:33", "Time: 0.4",
                 "bandwidth 4.5 GB/s", "took 120 ms", "TIME TO SEND TO GPU TOOK: 0.000001", "elapsed 3 seconds"):
        assert TIMING.search(line), line
    for line in ("checksum 1.6783227599e+05", "Time step 5 energy 1.2", "timestep: 5", "1500 sweeps",
                 "nodes 12 s=3", "residual 3e-07"):
        assert not TIMING.search(line), line


def test_the_baseline_keeps_masks_as_plain_dicts():
    mask = learn_mask([RUN1, RUN2], ignore=["^#"])
    base = Baseline.from_dict(Baseline(seconds=1.0, masks={"stdout": mask.to_dict()}).to_dict())
    assert base.mask("stdout") == mask and base.mask("missing") == OutputMask()


def test_a_long_line_of_numbers_is_learned_number_by_number():
    line = " ".join(str(i) for i in range(20000))
    other = line.replace(" 12345 ", " 54321 ")
    mask = learn_mask([line, other])
    assert mask.lines == [] and mask.numbers == [[0, 12345]]


def test_each_copys_own_path_reads_as_one():
    base, cand = "built in /w/base/src\nx 1\n", "built in /w/cand/src\nx 1\n"
    assert compare_text(base, cand, trees=("/w/base", "/w/cand")) is None
    assert compare_text(base, cand).startswith("line 1")
    assert compare_text(base, "built in /w/cand/src\nx 2\n", trees=("/w/base", "/w/cand")).startswith("line 2")


TIMERS = """Simulation Validation:
  Final energy    : -1.166050268244

Timings for Rank 0
        Timer        # Calls    Avg/Call (s)   Total (s)    % Loop
___________________________________________________________________
total                      1       0.1523        0.1523      101.30
  position               100       0.0000        0.0001        0.08

Energy table
 Loop   Time(fs)   Total Energy
    2       2.00   -1.166063150575
"""


def test_the_rows_of_a_table_of_timings_are_not_compared():
    # two runs whose timer rows happened to print the same: still timings (a candidate's differ)
    mask = learn_mask([TIMERS, TIMERS])
    kept = OutputMask().kept(TIMERS)
    left_out = [kept[i] for i in mask.lines]
    assert left_out[:3] == [kept[4], kept[5], kept[6]] and left_out[1].startswith("total"), left_out
    assert all("a row of a table of timings" in n for n in mask.notes[:3])
    assert kept[9].startswith("2 ") and 9 not in mask.lines  # the energies under "Loop   Time(fs)" stay
    # the energies, and the table whose one time column is simulated time (fs), are compared
    changed = TIMERS.replace("-1.166050268244", "-1.2").replace("0.1523", "0.2")
    assert compare_text(TIMERS, changed, mask=mask).startswith("line 2")
    assert compare_text(TIMERS, TIMERS.replace("0.1523", "0.2"), mask=mask) is None
    assert compare_text(TIMERS, TIMERS.replace("-1.166063150575", "-1.1"), mask=mask).startswith("line 10")


def test_a_number_that_changes_on_some_rows_of_a_table_is_left_out_of_every_row():
    # the last column is a time per atom: two runs of the original printed row 2's alike, a candidate's differs
    run1 = "step energy us/atom\n1 -1.5 1.62\n2 -1.4 1.60\n3 -1.3 1.66\nrate 0.08 atoms/us\n"
    run2 = "step energy us/atom\n1 -1.5 1.64\n2 -1.4 1.60\n3 -1.3 1.61\nrate 0.09 atoms/us\n"
    mask = learn_mask([run1, run2])
    assert sorted(mask.numbers) == [[1, 2], [2, 2], [3, 2]] and mask.lines == [4], (mask.numbers, mask.lines)
    assert any(n.startswith("number 3 of 1 more line(s) shaped like `1 -1.5 1.62`") for n in mask.notes)
    candidate = run1.replace("2 -1.4 1.60", "2 -1.4 1.71").replace("0.08", "0.07")
    assert compare_text(run1, candidate, mask=mask) is None
    assert compare_text(run1, candidate.replace("-1.4", "-1.7"), mask=mask).startswith("line 3")
