"""Configuration, patching, output comparison, profile shares, the scripted planner, the transcript."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hpcagent.agent.config import load_config
from hpcagent.agent.planners.scripted import ScriptedPlanner
from hpcagent.agent.protocols import PlanContext
from hpcagent.agent.run.transcript import Transcript, read_transcript
from hpcagent.errors import ConfigError
from hpcagent.records import Edit, LoopTarget
from hpcagent.tools.compare import compare_text
from hpcagent.tools.patch import EditError, apply_edits, unified_diff
from hpcagent.tools.profile import build_profile, loop_share, outside_loops


def test_config_file_and_flags(tmp_path: Path):
    (tmp_path / "hpcagent.toml").write_text('[run]\ncommand = "./a 10"\n[threads]\nrace = [2, 3]\n')
    cfg, origin = load_config(tmp_path, overrides={"test.command": "make test", "budget.attempts": 2})
    assert origin.endswith("hpcagent.toml")
    assert (cfg.run.command, cfg.threads.race, cfg.test.command, cfg.budget.attempts) == \
        ("./a 10", [2, 3], "make test", 2)


@pytest.mark.parametrize("text,key", [
    ('[run]\ncomand = "x"\n', "run.comand"),
    ('[run]\ntimeout = "soon"\n', "run.timeout"),
    ('[runn]\ncommand = "x"\n', "[runn]"),
    ('[run\ncommand = "x"\n', "not valid TOML"),
    ('[threads]\nrace = ["two"]\n', "threads.race"),
    ('[threads]\ncount = 0\n', "threads.count"),
    ('[model]\nbase_url = 1\n', "model.base_url"),
    ('[model]\napi_key = "sk-1"\n', "model.api_key"),
])
def test_malformed_config_names_the_key(tmp_path: Path, text: str, key: str):
    (tmp_path / "hpcagent.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert key in str(err.value)


def test_edits_and_a_diff_that_git_applies(tmp_path: Path):
    orig, new = tmp_path / "orig", tmp_path / "new"
    for d in (orig, new):
        d.mkdir()
        (d / "k.c").write_text("int f(int *a, int n) {\n  for (int i = 0; i < n; i++)\n    a[i] = i;\n  return 0;\n}")
    apply_edits(new, [Edit("k.c", 2, 1, "  #pragma omp parallel for\n"), Edit("k.c", 4, 4, "  return n;")])
    text = (new / "k.c").read_text()
    assert "  #pragma omp parallel for\n  for" in text and "return n;" in text
    patch = unified_diff(orig, new, ["k.c"])
    subprocess.run(["git", "init", "-q", str(orig)], check=True)
    subprocess.run(["git", "-C", str(orig), "apply", "-"], input=patch, text=True, check=True)
    assert (orig / "k.c").read_text() == text
    with pytest.raises(EditError):
        apply_edits(new, [Edit("k.c", 40, 41, "x")])
    with pytest.raises(EditError):
        apply_edits(new, [Edit("k.c", 2, 3, "x"), Edit("k.c", 3, 4, "y")])


def test_output_comparison_tolerates_reordered_sums_only():
    assert compare_text("sum = 1.000000001e+03\nok\n", "sum = 1.000000002e+03  \nok") is None
    assert "expected" in compare_text("sum = 1000.0", "sum = 1001.0")
    assert compare_text("check PASS", "check FAIL") is not None
    assert compare_text("a 1 2", "a 1") is not None
    assert compare_text("nan", "nan") is None


def test_a_loops_share_counts_the_time_of_what_it_calls():
    from collections import Counter

    # heat.c: main's time loop (40-48) calls step(), whose sweep (63-69) spends its time partly in a helper at 80
    stacks = Counter({("heat.c:66", "heat.c:44"): 70, ("heat.c:81", "heat.c:65", "heat.c:44"): 20,
                      ("heat.c:56", "heat.c:38"): 10})
    prof = build_profile(stacks, Counter({"step": 90, "init": 10}), samples=100)
    assert prof["lines"]["heat.c:66"] == pytest.approx(0.7) and prof["functions"]["step"] == pytest.approx(0.9)
    assert loop_share(prof, "heat.c", 63, 69) == pytest.approx(0.9)  # the helper's 20 count for the sweep
    assert loop_share(prof, "heat.c", 40, 48) == pytest.approx(0.9)  # and all of it for the time loop around it
    assert loop_share(prof, "heat.c", 50, 58) == pytest.approx(0.1)
    assert loop_share(prof, "src/heat.c", 63, 69) == pytest.approx(0.9)  # a file named from a subdirectory
    assert loop_share(prof, "other.c", 63, 69) == 0.0
    assert loop_share({"functions": {"f": 0.4}}, "x.c", 1, 2, "f") == 0.4
    # the 10 samples in init() at line 56 come from main's line 38, in no loop: reported, not dropped
    assert outside_loops(prof, [("heat.c", 40, 48), ("heat.c", 63, 69)]) == [{"line": "heat.c:56", "share": 0.1}]
    assert outside_loops(prof, [("heat.c", 40, 48), ("heat.c", 50, 58)]) == []


def test_scripted_planner_replays_in_order(tmp_path: Path):
    (tmp_path / "k.c").write_text("void f(void) {\n    for (;;) {}\n}\n")
    planner = ScriptedPlanner({"k.c:2": [{"pragma": "#pragma omp parallel for reduction(+:s) private(t)"}]})
    target = LoopTarget("k.c", 2, 2, "f")
    p = planner.propose(target, PlanContext(tmp_path), [])
    assert p.clauses == ["reduction(+:s)", "private(t)"]
    assert p.edits[0].new_text == "    #pragma omp parallel for reduction(+:s) private(t)\n"
    assert planner.propose(target, PlanContext(tmp_path), [object()]) is None  # type: ignore[list-item]


def test_transcript_survives_a_torn_line(tmp_path: Path):
    path = tmp_path / "t.jsonl"
    t = Transcript(path)
    t.event("a", x=1)
    with open(path, "a") as fh:
        fh.write('{"v": 1, "seq": 2, "ki')
    t2 = Transcript(path)
    t2.event("b")
    events = read_transcript(path)
    assert [e["kind"] for e in events] == ["a", "b"] and events[-1]["seq"] == 2


def test_set_flag_overrides_any_key(tmp_path: Path):
    from hpcagent.agent.cli.optimize import parse_sets
    from hpcagent.errors import BadInput

    sets = parse_sets(["build.cc=clang-16", "threads.race=[2, 3]", "test.rtol=1e-4", 'run.command="./a 1"'])
    assert sets == {"build.cc": "clang-16", "threads.race": [2, 3], "test.rtol": 1e-4, "run.command": "./a 1"}
    cfg, _ = load_config(tmp_path, overrides=sets)
    assert (cfg.build.cc, cfg.threads.race, cfg.test.rtol) == ("clang-16", [2, 3], 1e-4)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, overrides=parse_sets(["budget.atempts=3"]))
    assert "budget.atempts" in str(err.value)
    with pytest.raises(BadInput):
        parse_sets(["cc=gcc"])


def test_amdahl_bound_decides_which_loops_are_worth_a_try():
    from hpcagent.agent.run.discovery import amdahl

    assert amdahl(1.0, 2) == pytest.approx(2.0)
    assert amdahl(0.5, 2) == pytest.approx(1 / 0.75)
    assert amdahl(0.03, 2) < 1.02 < amdahl(0.05, 2)


def test_the_tile_size_search_ends_on_a_losing_second_size_of_the_same_nest_only():
    """budget.locality's search stops when a second tile size of a nest does not win; another nest's losing tiling
    ends nothing, and a time-step group's member rewrites are left to group_rewrites (mvt: the column walk's tiling
    won 5.98x, the row walk's lost, and that must not end the search for the other members' rewrites)."""
    from hpcagent.agent.run.nodes import tile_search_over
    from hpcagent.evidence import Evidence, Timing
    from hpcagent.records import Attempt, Feedback, Proposal, Verdict

    def attempt(n: int, nest: int, speedup: float, locality: str = "tile", members=()) -> Attempt:
        edits = [Edit("k.c", nest, nest + 3, "..."), Edit("k.c", 20, 19, "#pragma omp parallel for\n")]
        prop = Proposal("k.c", 4, 30, "rewrite", None, [], edits, locality=locality, members=list(members))
        won = speedup > 2
        timing = Timing(speedup=speedup, speedup_min=speedup * 0.95, beyond_noise=won)
        return Attempt(n, prop, Evidence(stage="passed" if won else "timing", timing=timing),
                       Verdict("accept" if won else "repair", Feedback("accepted" if won else "not_faster")))

    first, other = attempt(1, 4, 3.0), attempt(2, 10, 1.2)
    assert not tile_search_over([first])
    assert not tile_search_over([first, other])  # another nest's tiling lost: go on
    assert tile_search_over([first, other, attempt(3, 4, 1.5)])  # the first nest's second size lost
    assert not tile_search_over([first, other, attempt(3, 4, 6.5)])  # ... or won: go on
    assert not tile_search_over([first, other, attempt(3, 4, 1.5, "unroll-jam")])
    assert tile_search_over([first, attempt(2, 4, 1.2)])
    # the same sequence as rewrites of a group's members counts for nothing here
    group = ["k.c:4", "k.c:10"]
    assert not tile_search_over([attempt(1, 4, 3.0, members=group), attempt(2, 4, 1.2, members=group)])
