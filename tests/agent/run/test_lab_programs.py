"""The real lab on programs as their users run them (local sandbox: real gcc, clang-16 + TSan + Archer): output
with a date and the program's own timing, a size fixed at build time with a small race build, a gcc-only flag in a
hard-coded Makefile. No per-program wrapper script, no Makefile edit: only config."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest
from conftest import DATA

from hpcagent.agent.config import Config
from hpcagent.agent.run.lab import WARMUP_BELOW, SandboxLab, fresh_copy
from hpcagent.agent.run.report import compared_lines
from hpcagent.sandbox.backends import scratch_dir

APP = DATA / "projects" / "timed_app"
INIT_LOOP = "    for (int i = 0; i < N; i++)\n        a[i] = sin"
SUM_LOOP = "        for (int i = 0; i < N; i++)\n            sum +="


def config() -> Config:
    return Config.from_dict({"build": {"command": "make", "race_command": "make N=20000"},
                             "run": {"command": "./app"}, "threads": {"race": [2, 3], "race_repeats": 1},
                             "budget": {"timing_reps": 2}})


def candidate(work, name: str, old: str, new: str) -> str:
    fresh_copy(work / "orig", work / name)
    src = (work / name / "app.c").read_text()
    assert old in src
    (work / name / "app.c").write_text(src.replace(old, new, 1))
    return name


@pytest.fixture(scope="module")
def lab_run():
    from hpcagent.sandbox.backends.local import LocalSandbox

    work = scratch_dir()
    shutil.copytree(APP, work / "orig")
    lab, cfg = SandboxLab(LocalSandbox(quiet=True)), config()
    yield lab, cfg, work, lab.baseline(work, cfg)
    shutil.rmtree(work, ignore_errors=True)


def test_baseline_leaves_out_the_date_and_the_timing_and_keeps_the_result(lab_run):
    _, _, _, base = lab_run
    notes = base.mask("stdout").notes
    assert [n[:20] for n in notes] == ["line 1 `Run started ", "line 4 `Elapsed time"], notes
    assert base.mask("stdout").lines == [0, 3] and base.mask("race").lines == [0, 3]
    # the timed build is the Makefile's (N = 2000000); the race check ran the small build
    assert "n 2000000" in base.stdout
    assert all("n 20000\n" in r.stdout_tail for r in base.race_runs)
    assert base.flags == {"race": {"dropped": ["-ftree-vectorizer-verbose=2"], "ignored": []}}
    text = "\n".join(compared_lines(base))
    assert "`-ftree-vectorizer-verbose=2`" in text and "Elapsed time" in text


def test_a_correct_change_passes_the_output_checks_and_a_wrong_one_does_not(lab_run):
    lab, cfg, work, base = lab_run
    good = candidate(work, "good", INIT_LOOP, "    #pragma omp parallel for\n" + INIT_LOOP)
    ev = lab.evidence(work, good, cfg, base)
    assert ev.race.clean and ev.output.ok, (ev.stage, ev.error)
    assert ev.stage in ("passed", "timing"), (ev.stage, ev.error)  # whether 2 threads pay off here is noise
    # a short original: a warm-up pair, then the timed runs; an original of seconds: the timed runs alone (a gain
    # within the noise is timed a second round: twice the runs)
    reps = cfg.budget.timing_reps
    assert base.seconds < WARMUP_BELOW and ev.timing.warmup == 1 and len(ev.timing.a) in (reps, 2 * reps)
    long = lab.evidence(work, good, cfg, replace(base, seconds=WARMUP_BELOW))
    assert long.timing.warmup == 0 and len(long.timing.a) == len(long.timing.b) in (reps, 2 * reps), long.timing
    wrong = candidate(work, "wrong", "sum += a[i] * (r + 1);", "sum += a[i] * (r + 2);")
    ev = lab.evidence(work, wrong, cfg, base)
    assert ev.stage == "output" and "line 3 `sum " in ev.error, (ev.stage, ev.error)
    racy = candidate(work, "racy", SUM_LOOP, "        #pragma omp parallel for\n" + SUM_LOOP)
    ev = lab.evidence(work, racy, cfg, base)
    assert ev.stage == "race" and {r.variable for r in ev.race.races} == {"sum"}, (ev.stage, ev.error)


def test_init_runs_the_original_twice_and_writes_down_what_it_leaves_out(tmp_path, digest):
    import tomllib

    from typer.testing import CliRunner

    from hpcagent.agent.cli.main import app

    repo = tmp_path / "app"
    shutil.copytree(APP, repo)
    before = digest(repo)
    result = CliRunner().invoke(app, ["init", str(repo), "--run", "./app", "--sandbox", "local"])
    assert result.exit_code == 0, result.output
    text = (repo / "hpcagent.toml").read_text()
    assert "line 1 `Run started" in text and "line 4 `Elapsed time" in text and "reads as a timing" in text
    assert "`-DN=$(N)` in Makefile" in text  # the size fixed at build time: a race build offered
    cfg = tomllib.loads(text)
    assert cfg["run"]["command"] == "./app" and cfg["build"]["command"] == "make"
    after = digest(repo)
    assert {k: v for k, v in after.items() if k != "hpcagent.toml"} == before  # nothing else written
    bad = CliRunner().invoke(app, ["init", str(repo), "--force", "--run", "./no-such-program", "--sandbox", "local"])
    assert bad.exit_code == 2 and "fails" in bad.output
