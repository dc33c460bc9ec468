"""The jobs of a batch as tasks on a Dask cluster: `hpcagent batch JOBS.toml --cluster local|slurm`.

local: a Dask LocalCluster on this machine, nothing to configure. slurm: dask-jobqueue's SLURMCluster, one Slurm
job per Dask worker, each a whole node by default (`--exclusive`), so that a timing never shares its cores with
another job of the batch; a worker runs `jobs_per_worker` jobs at once (the worker resource `job`, default 1).
Settings come from the jobs file's `[batch.local]` / `[batch.slurm]` tables (see SETTINGS).

Each job is one task, and the task runs the job in a process of its own (`python -m hpcagent.agent.run.cluster`),
so that a signal reaches it: SIGTERM (scancel, the cluster closing, the worker dying) stops the current step, the
sandbox removes its container, the run keeps its checkpoint. The run writes its verdicts to that checkpoint as it
goes, so the client may die at any moment: the same batch command continues every unfinished run and redoes no
finished one. A job whose worker was taken away (scancel, a lost node) comes back stopped and is submitted again
(it resumes from its checkpoint), up to `retries` times.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from hpcagent.agent.run.batch import Job, JobResult, _terminate, read_jobs, run_job, stopped
from hpcagent.errors import BadInput, ConfigError

KINDS = ("serial", "local", "slurm")
SETTINGS = {
    "local": {"workers": 1, "jobs_per_worker": 1, "retries": 2},
    "slurm": {"workers": 2, "jobs_per_worker": 1, "retries": 2, "cores": None, "memory": "4GB", "walltime": None,
              "queue": None, "account": None, "exclusive": True, "job_extra": [], "python": None},
}
"""Keys of [batch.local] and [batch.slurm] with their defaults. slurm: cores per worker (default: this machine's
CPU count), memory and walltime per worker job (walltime default: the batch's budget plus 10 minutes, else 8 h),
queue (partition), account, exclusive (whole nodes), job_extra (more #SBATCH options), python (the interpreter on
the compute nodes; default this one)."""
STOP_WAIT = 120.0
"""Seconds the client waits, after a stop, for the running jobs to checkpoint and report "stopped"."""
LOCK_WAIT = 90.0
"""Seconds a job waits for its run's lock: a stopped process of the same run may still be checkpointing."""


def cluster_settings(kind: str, settings: dict) -> dict:
    """The [batch.<kind>] table merged over the defaults; ConfigError naming an unknown key."""
    if kind not in KINDS:
        raise BadInput(f"unknown cluster {kind!r}", "use serial, local or slurm")
    table = settings.get(kind, {})
    if not isinstance(table, dict):
        raise ConfigError(f"[batch.{kind}] must be a table", f"[batch.{kind}]\nworkers = 2")
    bad = set(table) - set(SETTINGS[kind])
    if bad:
        raise ConfigError(f"[batch.{kind}] has unknown key(s) {', '.join(sorted(bad))}",
                          f"use: {', '.join(SETTINGS[kind])}")
    merged = {**SETTINGS[kind], **table}
    for key in ("workers", "jobs_per_worker"):
        if not isinstance(merged[key], int) or merged[key] < 1:
            raise ConfigError(f"[batch.{kind}] {key} must be a whole number >= 1", f"{key} = 1")
    return merged


def walltime(seconds: float | None) -> str:
    if seconds is None:
        return "08:00:00"
    total = int(seconds) + 600
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def make_cluster(kind: str, conf: dict, n_jobs: int, left: float | None, logs: Path):
    """Start the Dask cluster; returns (cluster, a line describing it)."""
    workers = max(1, min(conf["workers"], n_jobs))
    per = conf["jobs_per_worker"]
    if kind == "local":
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=per, processes=True, resources={"job": per},
                               dashboard_address=None)
        return cluster, f"Dask LocalCluster, {workers} worker(s) of {per} job(s)"
    from dask_jobqueue import SLURMCluster

    cores = conf["cores"] or os.cpu_count() or 1
    extra = (["--exclusive"] if conf["exclusive"] else []) + list(conf["job_extra"])
    logs.mkdir(parents=True, exist_ok=True)
    cluster = SLURMCluster(cores=cores, processes=1, memory=conf["memory"], walltime=conf["walltime"] or walltime(left),
                           queue=conf["queue"], account=conf["account"], job_extra_directives=extra,
                           worker_extra_args=["--resources", f"job={per}"], python=conf["python"] or sys.executable,
                           log_directory=str(logs))
    cluster.scale(jobs=workers)
    return cluster, (f"Slurm via dask-jobqueue, {workers} worker job(s) of {cores} core(s)"
                     + (", whole nodes" if conf["exclusive"] else "") + f", {per} job(s) each; Slurm logs in {logs}")


def run_on_cluster(kind: str, jobs: list[Job], jobs_file: Path, out: Path, deadline: float | None, keep_work: bool,
                   settings: dict, log) -> tuple[list[JobResult], bool]:
    """Every job as a task on the cluster; returns (results in the jobs' order, whether the batch was stopped)."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise BadInput("Dask is not installed, so --cluster cannot be used",
                       "pip install 'dask[distributed]' dask-jobqueue (or run without --cluster)") from None
    conf = cluster_settings(kind, settings)
    name = jobs_file.stem
    folder = out / f"_batch_{name}"
    epoch = None if deadline is None else time.time() + (deadline - time.monotonic())
    results: dict[str, JobResult] = {}
    futures: dict = {}
    interrupted = False
    cluster = client = None
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        wanted = max(1, min(conf["workers"], len(jobs)))
        try:
            cluster, line = make_cluster(kind, conf, len(jobs),
                                         None if deadline is None else deadline - time.monotonic(), folder / "slurm")
            client = Client(cluster)
        except Exception as exc:
            raise BadInput(f"could not start the {kind} Dask cluster: {type(exc).__name__}: {str(exc)[:300]}",
                           "check that sbatch and sinfo work on this machine (slurm), or run without --cluster"
                           if kind == "slurm" else "run without --cluster") from None
        log(f"cluster: {line}")
        tries = Counter()

        def submit(job: Job):
            tries[job.id] += 1
            fut = client.submit(job_task, str(jobs_file.resolve()), job.id, str(out.resolve()), epoch, keep_work,
                                key=f"{name}-{job.id}-try{tries[job.id]}", resources={"job": 1}, pure=False)
            futures[fut] = job
            return fut

        pending = as_completed([submit(job) for job in jobs])
        log(f"{len(jobs)} job(s) submitted; each job's own log: {folder / 'jobs'}")
        seen: set[str] = set()
        waiting_since, said = time.monotonic(), False
        while not pending.is_empty():
            done = pending.next_batch(block=False)
            if not done:
                if kind == "slurm":
                    _replace_lost(client, cluster, wanted, seen, log)
                    if client.scheduler_info()["workers"]:
                        waiting_since, said = time.monotonic(), False
                    elif not said and time.monotonic() - waiting_since > 60:
                        log("no worker has been up for a minute: Slurm has not started the worker jobs (see squeue)")
                        said = True
                time.sleep(1.0)
                continue
            for fut in done:
                job = futures.pop(fut)
                try:
                    r = JobResult(**fut.result())
                except Exception as exc:  # the worker was lost too often, or the job's process died without a result
                    r = JobResult(job.id, f"{name}-{job.id}", str(job.repo), "stopped",
                                  f"its worker was lost ({type(exc).__name__}: {str(exc)[:200]})")
                if r.status == "stopped" and tries[job.id] <= conf["retries"]:
                    log(f"{job.id}: stopped on its worker ({r.reason}); submitted again, it resumes from its "
                        "checkpoint")
                    pending.add(submit(job))
                    continue
                results[job.id] = r
                log(f"{job.id}: {r.status}" + (f", {r.accepted} of {r.tried} loop(s) accepted" if r.status in
                                               ("done", "already") else "") + (f": {r.reason}" if r.reason else ""))
    except KeyboardInterrupt:
        interrupted = True
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the stop below is bounded; a second signal must not cut it
        log("batch stopped (signal): its workers stop their jobs at a checkpoint; the same command continues it")
        if client is not None:
            results.update(_stop_running(client, futures, STOP_WAIT))
    finally:
        signal.signal(signal.SIGTERM, previous)
        for thing in (client, cluster):  # closing the cluster cancels its Slurm jobs: SIGTERM to the jobs' processes
            if thing is not None:
                try:
                    thing.close()
                except Exception:
                    pass
    return [results.get(j.id) or stopped(j, name, jobs_file) for j in jobs], interrupted


def _replace_lost(client, cluster, wanted: int, seen: set[str], log) -> None:
    """Start a new Slurm job for each worker that was up and is gone (scancel, a failed node, its walltime): Dask
    re-runs a lost worker's task elsewhere but does not replace the worker itself."""
    alive = {str(w.get("name")) for w in client.scheduler_info()["workers"].values()}
    seen |= alive
    # a worker this loop saw up and no longer sees, or one whose Slurm job has ended whether or not the loop ever
    # saw it up (scancel within a second of the start: the once-a-second poll missed it, and nothing replaced it)
    lost = [n for n in list(cluster.worker_spec) if str(n) not in alive and (str(n) in seen or _job_ended(cluster, n))]
    if lost:
        for n in lost:  # forgotten, not closed: closing a job Slurm no longer knows fails and stops the restart
            cluster.worker_spec.pop(n, None)
            cluster.workers.pop(n, None)
            seen.discard(str(n))
        cluster.scale(jobs=wanted)
        log(f"worker(s) {', '.join(map(str, lost))} lost (cancelled, failed or out of time); "
            f"{len(lost)} new Slurm job(s) submitted")


ENDED = {"BOOT_FAIL", "CANCELLED", "COMPLETED", "DEADLINE", "FAILED", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED",
         "TIMEOUT"}
"""Slurm job states after which the job's worker will not come (back) up."""


def _job_ended(cluster, name) -> bool:
    """The Slurm job of the worker `name` has ended, or Slurm no longer knows it ("Invalid job id")."""
    job_id = getattr(cluster.workers.get(name), "job_id", None)
    if not job_id:
        return False  # not submitted yet
    try:
        # -t all: without it squeue leaves an ended job out and prints nothing, as for a job it does not know
        proc = subprocess.run(["squeue", "-h", "-t", "all", "-j", str(job_id), "-o", "%T"], capture_output=True,
                              text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False  # no answer is not an answer: the worker may still come up
    state = proc.stdout.split()
    return (not state and "nvalid job id" in proc.stderr) or bool(state and state[0] in ENDED)


def _stop_running(client, futures: dict, wait: float) -> dict[str, JobResult]:
    """SIGTERM every job process on every worker, then collect what they report within `wait` seconds."""
    from distributed import wait as wait_for

    try:
        client.run(_terminate_jobs)
        wait_for(list(futures), timeout=wait)
    except Exception:
        pass
    out = {}
    for fut, job in futures.items():
        if fut.status == "finished":
            out[job.id] = JobResult(**fut.result())
    return out


_RUNNING: set = set()
"""The job processes this worker has started and not yet reaped."""
_STOPPING = threading.Event()
"""Set on a worker when the batch is stopped: a job task that starts after it reports "stopped" at once."""


def _terminate_jobs() -> int:
    """On a worker (client.run): ask each running job to stop at its next step, and start no other."""
    _STOPPING.set()
    for proc in list(_RUNNING):
        proc.send_signal(signal.SIGTERM)
    return len(_RUNNING)


def _die_with_parent() -> None:
    """In the job's process: SIGTERM when the worker that started it dies (Linux), so no job outlives its worker."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def job_task(jobs_file: str, job_id: str, out: str, deadline_epoch: float | None, keep_work: bool) -> dict:
    """A Dask task: run one job in its own process; return its JobResult as a dict."""
    if _STOPPING.is_set():
        jobs, _ = read_jobs(Path(jobs_file))
        job = next(j for j in jobs if j.id == job_id)
        return stopped(job, Path(jobs_file).stem, Path(jobs_file)).__dict__
    folder = Path(out) / f"_batch_{Path(jobs_file).stem}" / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    result = folder / f"{job_id}.json"
    result.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "hpcagent.agent.run.cluster", jobs_file, job_id, "--out", out, "--result",
            str(result)] + (["--deadline", str(deadline_epoch)] if deadline_epoch else []) + \
        (["--keep-work"] if keep_work else [])
    with open(folder / f"{job_id}.log", "a") as fh:
        fh.write(f"== {time.strftime('%Y-%m-%dT%H:%M:%S')} on {os.uname().nodename}"
                 + (f", Slurm job {os.environ['SLURM_JOB_ID']}" if os.environ.get("SLURM_JOB_ID") else "") + "\n")
        fh.flush()
        proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        _RUNNING.add(proc)
        try:
            code = proc.wait()
        except BaseException:
            proc.terminate()
            proc.wait(timeout=60)
            raise
        finally:
            _RUNNING.discard(proc)
    if not result.exists():
        raise RuntimeError(f"the job's process ended (exit {code}) without a result; see {folder / (job_id + '.log')}")
    return json.loads(result.read_text())


def main(argv: list[str] | None = None) -> int:
    """One job of a batch, in its own process (started by job_task on a worker)."""
    from hpcagent.agent.run.runner import is_locked

    ap = argparse.ArgumentParser(prog="python -m hpcagent.agent.run.cluster")
    ap.add_argument("jobs_file")
    ap.add_argument("job_id")
    ap.add_argument("--out", required=True)
    ap.add_argument("--result", required=True)
    ap.add_argument("--deadline", type=float)
    ap.add_argument("--keep-work", action="store_true")
    a = ap.parse_args(argv)
    jobs, _ = read_jobs(Path(a.jobs_file))
    job = next(j for j in jobs if j.id == a.job_id)
    name, out = Path(a.jobs_file).stem, Path(a.out)

    def log(text: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)

    deadline = None if a.deadline is None else time.monotonic() + (a.deadline - time.time())
    signal.signal(signal.SIGTERM, _terminate)
    try:
        waited = time.monotonic()
        while is_locked(out / f"{name}-{job.id}") and time.monotonic() - waited < LOCK_WAIT:
            time.sleep(1.0)  # the previous process of this run, stopped, may still be writing its checkpoint
        r = run_job(job, name, out, deadline, a.keep_work, None, log)
        code = 0
    except KeyboardInterrupt:
        r, code = stopped(job, name, Path(a.jobs_file)), 130
        r.reason = "its worker stopped it (signal); the run resumes from its checkpoint"
        log("stopped by a signal")
    Path(a.result).write_text(json.dumps(r.__dict__))
    return code


if __name__ == "__main__":
    sys.exit(main())
