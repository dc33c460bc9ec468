"""`hpcagent batch`: jobs one after another, a broken one named with its reason, calling again redoes no finished
job, kill -9 at random points changes nothing in the end, SIGTERM stops cleanly and the batch continues. The jobs
run with the fake lab and a scripted planner (the sandbox's own behaviour is tested elsewhere)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import DATA, REPO
from typer.testing import CliRunner

from hpcagent.agent.cli.main import app

runner = CliRunner()
PLAN = {"app.c:8": [{"pragma": "#pragma omp parallel for"}], "app.c:19": [{"pragma": "#pragma omp parallel for "
                                                                           "reduction(+:s)"}]}
OUTCOMES = [{"match": "reduction(+:s)", "stage": "timing", "speedup": 1.0},
            {"match": "#pragma omp", "stage": "passed", "speedup": 1.7}]


def jobs_file(tmp_path: Path, delay: float = 0.0) -> Path:
    for name in ("one", "two"):
        shutil.copytree(DATA / "projects" / "mini", tmp_path / name)
    (tmp_path / "plan.json").write_text(json.dumps(PLAN))
    (tmp_path / "lab.json").write_text(json.dumps({"outcomes": OUTCOMES, "delay": delay}))
    common = (f'planner = "scripted:{tmp_path / "plan.json"}"\nsandbox = "fake:{tmp_path / "lab.json"}"\n'
              'set = {"budget.explore" = 0}\n')
    text = (f'[batch]\nout = "{tmp_path / "runs"}"\n\n'
            f'[[job]]\nrepo = "one"\n{common}\n'
            f'[[job]]\nid = "broken"\nrepo = "no-such-project"\n{common}\n'
            f'[[job]]\nrepo = "two"\n{common}')
    path = tmp_path / "night.toml"
    path.write_text(text)
    return path


def transcript_lines(run: Path) -> int:
    return len((run / "transcript.jsonl").read_text().splitlines())


def test_a_batch_runs_every_job_names_the_broken_one_and_continues_without_redoing(tmp_path: Path):
    path = jobs_file(tmp_path)
    result = runner.invoke(app, ["batch", str(path), "--quiet"])
    assert result.exit_code == 1, result.output  # one job could not run
    report = json.loads((tmp_path / "runs" / "_batch_night" / "batch.json").read_text())
    status = {j["id"]: j for j in report["jobs"]}
    assert [j["id"] for j in report["jobs"]] == ["one", "broken", "two"]
    assert status["one"]["status"] == status["two"]["status"] == "done"
    assert status["one"]["accepted"] == 1 and status["one"]["speedup"] > 1.5
    assert status["broken"]["status"] == "failed" and "no-such-project does not exist" in status["broken"]["reason"]
    assert "broken" in result.output and "does not exist" in result.output and "exit code 1" in result.output
    log = (tmp_path / "runs" / "_batch_night" / "batch.log").read_text()
    assert "one: starting night-one" in log and "broken: could not run" in log
    # finished runs are pruned of their build trees; the original sources stay for review and replay
    work = tmp_path / "runs" / "night-one" / "work"
    assert (work / "orig" / "app.c").is_file() and not (work / "cand").exists()
    before = {n: transcript_lines(tmp_path / "runs" / f"night-{n}") for n in ("one", "two")}
    again = runner.invoke(app, ["batch", str(path), "--quiet"])
    assert again.exit_code == 1
    assert {n: transcript_lines(tmp_path / "runs" / f"night-{n}") for n in ("one", "two")} == before
    jobs = {j["id"]: j["status"] for j in json.loads((tmp_path / "runs" / "_batch_night" / "batch.json").read_text())
            ["jobs"]}
    assert jobs == {"one": "already", "broken": "failed", "two": "already"}


def test_a_malformed_jobs_file_is_refused_with_the_key_at_fault(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[job]]\nrepo = "x"\nrunn = "./app"\n')
    result = runner.invoke(app, ["batch", str(bad)])
    assert result.exit_code == 2 and "job 1 has unknown key(s) runn" in result.output
    bad.write_text('[[job]]\nbuild = "make"\n')
    assert "job 1 has no repo" in runner.invoke(app, ["batch", str(bad)]).output
    good = jobs_file(tmp_path)
    late = runner.invoke(app, ["batch", str(good), "--until", "25:00"])
    assert late.exit_code == 2 and "--until '25:00' is not HH:MM" in late.output
    assert not (tmp_path / "runs" / "night-one").exists()  # nothing ran


def batch_process(path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hpcagent.agent.cli.main", "batch", str(path), "--quiet"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def accepted(tmp_path: Path) -> dict[str, tuple]:
    out = {}
    for n in ("one", "two"):
        run = tmp_path / "runs" / f"night-{n}"
        summary = json.loads((run / "summary.json").read_text())
        out[n] = (sorted(lp["loop"] for lp in summary["loops"] if lp["status"] == "accepted"),
                  (run / "patch.diff").read_text())
    return out


def test_kill_9_at_random_points_then_the_same_batch_gives_the_same_result(tmp_path: Path):
    reference_dir = tmp_path / "reference"
    reference_dir.mkdir()
    assert runner.invoke(app, ["batch", str(jobs_file(reference_dir)), "--quiet"]).exit_code == 1
    reference = accepted(reference_dir)

    killed_dir = tmp_path / "killed"
    killed_dir.mkdir()
    path = jobs_file(killed_dir, delay=0.1)
    rng = random.Random(7)
    kills = 0
    for _ in range(4):
        proc = batch_process(path)
        time.sleep(rng.uniform(0.8, 3.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 2
    done_before = {n: transcript_lines(killed_dir / "runs" / f"night-{n}") for n in ("one", "two")
                   if (killed_dir / "runs" / f"night-{n}" / "summary.json").exists()}
    final = batch_process(path)
    final.wait(timeout=300)
    assert final.returncode == 1, final.stderr[-3000:]
    assert accepted(killed_dir) == reference
    for n, lines in done_before.items():  # a job finished before a kill was not run again
        assert transcript_lines(killed_dir / "runs" / f"night-{n}") == lines


def test_sigterm_stops_the_batch_cleanly_and_the_run_resumes(tmp_path: Path):
    path = jobs_file(tmp_path, delay=0.3)
    proc = batch_process(path)
    run = tmp_path / "runs" / "night-one"
    for _ in range(100):
        if (run / "transcript.jsonl").exists() and '"kind": "proposal"' in (run / "transcript.jsonl").read_text():
            break
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-3000:]
    events = [json.loads(x) for x in (run / "transcript.jsonl").read_text().splitlines()]
    assert events[-1]["kind"] == "interrupted" and "hpcagent resume night-one" in events[-1]["resume"]
    report = json.loads((tmp_path / "runs" / "_batch_night" / "batch.json").read_text())
    assert report["interrupted"] and report["jobs"][-1] == {**report["jobs"][-1], "id": "one", "status": "stopped"}
    listed = json.loads(runner.invoke(app, ["runs", "--out", str(tmp_path / "runs"), "--json"]).output)
    assert {r["id"]: r["status"] for r in listed}["night-one"] == "stopped"
    result = runner.invoke(app, ["resume", "--all", "--out", str(tmp_path / "runs"), "--quiet"])
    assert result.exit_code == 0 and "night-one: a change accepted" in result.output, result.output


def test_a_second_sigterm_while_the_first_is_handled_does_not_cut_the_stop_short():
    """scancel can deliver SIGTERM twice; the worker's handler turned each into a KeyboardInterrupt, and the second,
    raised while the first was being handled, ended the worker with a traceback before it logged and wrote its
    result (seen in test_cluster's scancel test). One stop per process: later signals are ignored."""
    from hpcagent.agent.run.batch import _terminate

    previous = signal.signal(signal.SIGTERM, _terminate)
    seen = []
    try:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(2)
            seen.append("not stopped")
        except KeyboardInterrupt:
            seen.append("stopped")
            os.kill(os.getpid(), signal.SIGTERM)  # the second one, during the cleanup
            time.sleep(0.2)
            seen.append("cleaned up")
    except KeyboardInterrupt:
        seen.append("cut short")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen == ["stopped", "cleaned up"]
