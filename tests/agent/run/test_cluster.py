"""`hpcagent batch --cluster`: the jobs as Dask tasks on a real single-node Slurm (slurmctld, slurmd and munge started
by .ci/slurm-up) and on a LocalCluster. A broken job is named with its reason and the exit code says so; a worker
cancelled with scancel has its job resumed on another; the client killed with -9, then the same batch again, redoes
no finished job. The jobs use the fake lab and a scripted planner: what is tested here is the cluster around them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO
from test_batch import accepted, jobs_file, transcript_lines

from hpcagent.agent.run.batch import read_jobs
from hpcagent.agent.run.cluster import cluster_settings, walltime
from hpcagent.errors import ConfigError

SLURM = """
[batch.slurm]
workers = 2
cores = 1
memory = "1GB"
exclusive = false
"""


@pytest.fixture(scope="module")
def slurm():
    """A running single-node Slurm; .ci/slurm-up starts one (as root) when sinfo shows no idle node."""
    done = subprocess.run(["bash", str(REPO / ".ci" / "slurm-up")], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"could not start a single-node Slurm (.ci/setup installs slurm-wlm and munge; run as root):\n"
                    f"{done.stdout}{done.stderr}")
    yield
    subprocess.run(["scancel", "--name", "dask-worker"], capture_output=True)


def finish(proc: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """The batch's output once it ends; past the timeout it is stopped (its whole session) and the test fails, so
    no batch client outlives its test."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        pytest.fail(f"the batch did not finish in {timeout:g} s; its stderr ends:\n{err[-3000:]}")


def batch(path: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hpcagent.agent.cli.main", "batch", str(path), "--quiet", *extra],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def squeue(name: str = "dask-worker") -> list[str]:
    out = subprocess.run(["squeue", "-h", "-n", name, "-o", "%i %T"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.split()[1] == "RUNNING"]


def test_cluster_settings_are_checked_before_anything_starts(tmp_path: Path):
    path = jobs_file(tmp_path)
    path.write_text(path.read_text() + "\n[batch.slurm]\nworkerz = 2\n")
    _, settings = read_jobs(path)
    with pytest.raises(ConfigError, match=r"\[batch.slurm\] has unknown key\(s\) workerz"):
        cluster_settings("slurm", settings)
    path.write_text(path.read_text().replace("workerz = 2", "workers = 0"))
    with pytest.raises(ConfigError, match="workers must be a whole number"):
        cluster_settings("slurm", read_jobs(path)[1])
    assert cluster_settings("local", {})["workers"] == 1
    assert walltime(3600) == "01:10:00" and walltime(None) == "08:00:00"
    proc = batch(path, "--cluster", "slurm")
    _, err = finish(proc, 120)
    assert proc.returncode == 2 and "workers must be a whole number" in err
    assert not (tmp_path / "runs" / "night-one").exists()  # nothing ran
    proc = batch(path, "--cluster", "kubernetes")
    assert proc.wait(timeout=60) == 2 and "unknown cluster 'kubernetes'" in proc.stderr.read()


@pytest.mark.slow
@pytest.mark.slurm
def test_a_batch_of_three_jobs_on_slurm_finishes_two_and_names_the_broken_one(tmp_path: Path, slurm):
    path = jobs_file(tmp_path)
    path.write_text(path.read_text() + SLURM)
    proc = batch(path, "--cluster", "slurm")
    out, err = finish(proc, 600)
    assert proc.returncode == 1, err[-3000:]  # one job could not run
    report = json.loads((tmp_path / "runs" / "_batch_night" / "batch.json").read_text())
    status = {j["id"]: j for j in report["jobs"]}
    assert [j["id"] for j in report["jobs"]] == ["one", "broken", "two"]
    assert status["one"]["status"] == status["two"]["status"] == "done"
    assert status["broken"]["status"] == "failed" and "no-such-project does not exist" in status["broken"]["reason"]
    assert "broken" in out and "does not exist" in out and "exit code 1" in out
    assert "Slurm via dask-jobqueue, 2 worker job(s)" in err
    # each job really ran in a Slurm job: its log names one, and the worker's batch script is Slurm's
    jobs_dir = tmp_path / "runs" / "_batch_night" / "jobs"
    for n in ("one", "two", "broken"):
        assert ", Slurm job " in (jobs_dir / f"{n}.log").read_text()
    assert list((tmp_path / "runs" / "_batch_night" / "slurm").glob("dask-worker-*.err"))
    (tmp_path / "ref").mkdir()
    ref = batch(jobs_file(tmp_path / "ref"))
    assert ref.wait(timeout=300) == 1
    assert accepted(tmp_path) == accepted(tmp_path / "ref")  # the same accepted changes as the serial batch
    for _ in range(30):  # closing the cluster cancelled its worker jobs
        if not squeue():
            break
        time.sleep(1)
    assert squeue() == []


@pytest.mark.slurm
def test_a_worker_whose_slurm_job_ended_unseen_counts_as_lost(tmp_path: Path, slurm):
    """The batch replaces a lost worker; it used to count only workers its once-a-second poll had seen up, so a
    worker scancelled within a second of its start was never replaced and the batch waited forever (seen in the
    docker scancel test below). A worker whose Slurm job has ended counts as lost too."""
    from types import SimpleNamespace

    from hpcagent.agent.run.cluster import _job_ended

    job = subprocess.run(["sbatch", "--parsable", "-o", str(tmp_path / "out"), "--wrap", "sleep 60"],
                         capture_output=True, text=True, check=True).stdout.strip().split(";")[0]
    cluster = SimpleNamespace(workers={"up": SimpleNamespace(job_id=job), "unknown": SimpleNamespace(job_id="99999999"),
                                       "unsubmitted": SimpleNamespace(job_id=None)})
    try:
        assert not _job_ended(cluster, "up")  # pending or running
    finally:
        subprocess.run(["scancel", job], check=True)
    for _ in range(100):
        if _job_ended(cluster, "up"):
            break
        time.sleep(0.1)
    assert _job_ended(cluster, "up")  # cancelled
    assert _job_ended(cluster, "unknown") and not _job_ended(cluster, "unsubmitted")


@pytest.mark.slow
@pytest.mark.slurm
def test_a_worker_cancelled_by_scancel_has_its_job_resumed(tmp_path: Path, slurm):
    path = jobs_file(tmp_path, delay=0.4)
    path.write_text(path.read_text() + SLURM)
    proc = batch(path, "--cluster", "slurm")
    run = tmp_path / "runs" / "night-one"
    for _ in range(600):  # wait until job "one" is under way on its worker
        if (run / "transcript.jsonl").exists() and '"kind": "proposal"' in (run / "transcript.jsonl").read_text():
            break
        time.sleep(0.1)
    node_job = next(line.split()[-1] for line in (tmp_path / "runs" / "_batch_night" / "jobs" / "one.log")
                    .read_text().splitlines() if ", Slurm job " in line)
    subprocess.run(["scancel", node_job], check=True)
    _, err = finish(proc, 600)
    assert proc.returncode == 1, err[-3000:]
    # Dask re-runs the task of a lost worker on another (or the batch submits it again when the result came back
    # "stopped"): either way a second Slurm job continued the run
    log = (tmp_path / "runs" / "_batch_night" / "jobs" / "one.log").read_text()
    assert "stopped by a signal" in log and "one: continuing night-one" in log
    assert len({line.split()[-1] for line in log.splitlines() if ", Slurm job " in line}) == 2
    events = [json.loads(x) for x in (run / "transcript.jsonl").read_text().splitlines()]
    kinds = [e["kind"] for e in events]
    assert "interrupted" in kinds and "resume" in kinds[kinds.index("interrupted"):]  # stopped, then resumed
    status = {j["id"]: j["status"] for j in json.loads((tmp_path / "runs" / "_batch_night" / "batch.json")
                                                       .read_text())["jobs"]}
    assert status == {"one": "done", "broken": "failed", "two": "done"}
    assert accepted(tmp_path)["one"][0] == ["app.c:8"]


@pytest.mark.slow
def test_kill_9_of_the_client_then_the_same_batch_on_a_local_cluster_redoes_no_finished_job(tmp_path: Path):
    path = jobs_file(tmp_path, delay=0.2)
    proc = batch(path, "--cluster", "local")
    runs = tmp_path / "runs"
    for _ in range(900):  # until the first job has finished
        if any((runs / f"night-{n}" / "summary.json").exists() for n in ("one", "two")):
            break
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(1)
    finished = {n: transcript_lines(runs / f"night-{n}") for n in ("one", "two")
                if (runs / f"night-{n}" / "summary.json").exists()}
    assert finished
    again = batch(path, "--cluster", "local")
    _, err = again.communicate(timeout=600)
    assert again.returncode == 1, err[-3000:]
    for n, lines in finished.items():
        assert transcript_lines(runs / f"night-{n}") == lines  # not run again
    status = {j["id"]: j["status"] for j in json.loads((runs / "_batch_night" / "batch.json").read_text())["jobs"]}
    assert all(status[n] == "already" for n in finished) and status["broken"] == "failed"
    assert set(status.values()) <= {"already", "done", "failed"}


def sandbox_containers() -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", "label=hpcagent.sandbox"], capture_output=True,
                         text=True).stdout
    return out.split()


@pytest.mark.slow
@pytest.mark.slurm
@pytest.mark.docker
def test_scancel_during_a_docker_job_leaves_no_container_and_the_job_is_resumed(tmp_path: Path, slurm,
                                                                                 docker_sandbox):
    """The real sandbox inside a Slurm job: scancel while a container runs; the job's process removes its container
    (Docker's containers are not in the Slurm job, so nothing else would), and the job resumes on the other worker."""
    import shutil

    from conftest import DATA

    shutil.copytree(DATA / "projects" / "mini", tmp_path / "mini")
    (tmp_path / "plan.json").write_text(json.dumps({"app.c:8": [{"pragma": "#pragma omp parallel for"}]}))
    path = tmp_path / "night.toml"
    path.write_text(f'[batch]\nout = "{tmp_path / "runs"}"\n\n[[job]]\nrepo = "mini"\n'
                    f'planner = "scripted:{tmp_path / "plan.json"}"\nsandbox = "docker"\nmax_targets = 1\n'
                    'set = {"budget.explore" = 0}\n' + SLURM)
    before = set(sandbox_containers())
    proc = batch(path, "--cluster", "slurm")
    seen = None
    for _ in range(1200):  # until a sandbox container of this run is up
        new = set(sandbox_containers()) - before
        if new:
            seen = new
            break
        time.sleep(0.1)
    assert seen, "no sandbox container appeared"
    log = tmp_path / "runs" / "_batch_night" / "jobs" / "mini.log"
    node_job = next(line.split()[-1] for line in log.read_text().splitlines() if ", Slurm job " in line)
    subprocess.run(["scancel", node_job], check=True)
    for _ in range(300):  # the stopped job's container is removed by the job itself
        if not seen & set(sandbox_containers()):
            break
        time.sleep(0.1)
    assert not seen & set(sandbox_containers())
    _, err = finish(proc, 900)
    assert proc.returncode == 0, err[-3000:]
    text = log.read_text()
    assert "stopped by a signal" in text and "mini: continuing night-mini" in text
    status = json.loads((tmp_path / "runs" / "_batch_night" / "batch.json").read_text())["jobs"]
    assert [j["status"] for j in status] == ["done"]
    assert set(sandbox_containers()) - before == set()
