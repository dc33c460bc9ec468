"""`hpcagent batch JOBS.toml`: several code bases, one after another, unattended; calling it again continues.

A jobs file lists `[[job]]` tables with the keys of `optimize` (repo, build, run, race_run, test, planner, critic,
model, sandbox, attempts, max_targets, budget_minutes, threads, ...; `set = {"budget.explore" = 0}` for any config
key) and an optional `[batch]` table (out, budget_minutes). Each job is its own checkpointed run, named
`<jobs file stem>-<job id>`, under its own lock. A job whose run is done is not run again; a stopped one is resumed;
a job that cannot run (no repository, a config error, no sandbox) is recorded with its reason and the batch goes on.
SIGTERM or Ctrl-C stops the current step (the sandbox removes its container), checkpoints, and ends the batch: the
same command continues it. At the end: a table, `batch.json` and `batch.log` in `<out>/_batch_<name>/`; the exit
code is 0 when every job ran, 1 when one could not, 130 when the batch was stopped.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import time
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hpcagent.errors import BadInput, ConfigError, HpcAgentError

JOB_KEYS = {"repo", "id", "build", "run", "race_run", "test", "threads", "race_threads", "planner", "critic", "model",
            "sandbox", "attempts", "max_targets", "budget_minutes", "run_timeout", "reps", "min_speedup", "config",
            "set"}
FLAG_KEYS = {"build": "build.command", "run": "run.command", "race_run": "run.race_command", "test": "test.command",
             "threads": "threads.count", "planner": "agent.planner", "critic": "agent.critic", "model": "agent.model",
             "sandbox": "agent.sandbox", "attempts": "budget.attempts", "max_targets": "search.max_targets",
             "budget_minutes": "budget.wall_minutes", "run_timeout": "run.timeout", "reps": "budget.timing_reps",
             "min_speedup": "budget.min_speedup"}
PRUNED = ("base", "cand", "final", "prof")
"""Work trees of a finished run that nothing reads again (work/orig stays: review's diffs and replay use it)."""


@dataclass
class Job:
    id: str
    repo: Path
    overrides: dict[str, Any]
    config: Path | None = None


@dataclass
class JobResult:
    id: str
    run_id: str
    repo: str
    status: str
    """done, failed (could not run, or ended on an error), stopped (the batch was interrupted), skipped (out of
    time), already (done by an earlier call)."""
    reason: str = ""
    tried: int = 0
    accepted: int = 0
    speedup: float | None = None
    seconds: float = 0.0


@dataclass
class BatchResult:
    name: str
    jobs: list[JobResult] = field(default_factory=list)
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if any(j.status == "failed" for j in self.jobs) else 0

    def to_dict(self) -> dict:
        return {"name": self.name, "interrupted": self.interrupted, "exit_code": self.exit_code,
                "jobs": [asdict(j) for j in self.jobs]}


def read_jobs(path: Path) -> tuple[list[Job], dict]:
    """The jobs of a jobs file and its [batch] table; ConfigError naming the job and key at fault."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise BadInput(f"cannot read the jobs file {path}: {exc}", "give a TOML file with [[job]] tables") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", "fix the syntax at the line and column given") from None
    jobs_data = data.get("job")
    if not isinstance(jobs_data, list) or not jobs_data:
        raise ConfigError(f"{path} has no [[job]] table", 'add one: [[job]]\\nrepo = "path/to/project"')
    unknown = set(data) - {"job", "batch"}
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}", "use [batch] and [[job]] only")
    base = path.parent
    jobs, seen = [], set()
    for n, raw in enumerate(jobs_data, 1):
        bad = set(raw) - JOB_KEYS
        if bad:
            raise ConfigError(f"{path}: job {n} has unknown key(s) {', '.join(sorted(bad))}",
                              f"use the keys of optimize: {', '.join(sorted(JOB_KEYS))}")
        if "repo" not in raw:
            raise ConfigError(f"{path}: job {n} has no repo", 'add repo = "path/to/project"')
        repo = Path(raw["repo"])
        repo = repo if repo.is_absolute() else base / repo
        job_id = str(raw.get("id") or repo.name)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", job_id):
            raise ConfigError(f"{path}: job {n} id {job_id!r} is not a plain name", "letters, digits, . _ -")
        if job_id in seen:
            raise ConfigError(f"{path}: two jobs are called {job_id!r}", "give each an id")
        seen.add(job_id)
        overrides = {FLAG_KEYS[k]: v for k, v in raw.items() if k in FLAG_KEYS}
        if "race_threads" in raw:
            overrides["threads.race"] = list(raw["race_threads"])
        sets = raw.get("set", {})
        if not isinstance(sets, dict):
            raise ConfigError(f"{path}: job {n}: set must be a table", 'set = {"budget.explore" = 0}')
        overrides.update(sets)
        config = Path(raw["config"]) if raw.get("config") else None
        jobs.append(Job(job_id, repo, overrides, (config if config is None or config.is_absolute() else base / config)))
    return jobs, data.get("batch", {})


def parse_duration(text: str) -> float:
    """'8h', '90m', '45s', '1h30m' -> seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([hms])", text.strip().lower())
    if not parts or "".join(f"{a}{b}" for a, b in parts) != re.sub(r"\s", "", text.strip().lower()):
        raise BadInput(f"{text!r} is not a duration", "e.g. 8h, 90m, 1h30m")
    return sum(float(v) * {"h": 3600, "m": 60, "s": 1}[u] for v, u in parts)


def until_seconds(hhmm: str, now: datetime | None = None) -> float:
    """Seconds from now until the next HH:MM."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", hhmm.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise BadInput(f"--until {hhmm!r} is not HH:MM", "e.g. --until 07:00")
    now = now or datetime.now()
    end = now.replace(hour=int(m.group(1)), minute=int(m.group(2)), second=0, microsecond=0)
    if end <= now:
        end += timedelta(days=1)
    return (end - now).total_seconds()


def _terminate(signum, frame):
    # One stop: Slurm's scancel can deliver SIGTERM more than once, and a second KeyboardInterrupt raised inside the
    # handling of the first cut the worker's cleanup short (seen: a traceback and no "stopped by a signal" line).
    # The callers put their previous handler back when they are done.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt  # the run records `interrupted`, the sandbox removes its container, the checkpoint stays


def run_batch(jobs_file: Path, out: Path | None = None, until: str | None = None, budget: str | None = None,
              keep_work: bool = False, echo=None, say=print, cluster: str = "serial") -> BatchResult:
    """Run (or continue) every job of a jobs file; see the module docstring. cluster: serial (one job after
    another in this process), local or slurm (jobs as tasks on a Dask cluster: agent/run/cluster.py)."""
    if cluster not in ("serial", "local", "slurm"):
        raise BadInput(f"unknown cluster {cluster!r}", "use --cluster serial, local or slurm")
    jobs, settings = read_jobs(jobs_file)
    name = Path(jobs_file).stem
    out = Path(out or settings.get("out") or ".hpcagent/runs")
    folder = out / f"_batch_{name}"
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "batch.log"
    started = time.monotonic()
    limits = [x for x in (until_seconds(until) if until else None,
                          parse_duration(budget) if budget else None,
                          float(settings["budget_minutes"]) * 60 if settings.get("budget_minutes") else None)
              if x is not None]
    deadline = started + min(limits) if limits else None
    result = BatchResult(name)

    def log(text: str) -> None:
        line = f"{datetime.now().isoformat(timespec='seconds')} {text}"
        with open(log_path, "a") as fh:
            fh.write(line + "\n")
        say(text)

    log(f"batch {name}: {len(jobs)} job(s) from {jobs_file}, runs in {out}"
        + (f", on a {cluster} Dask cluster" if cluster != "serial" else ""))
    if cluster != "serial":
        from hpcagent.agent.run.cluster import run_on_cluster

        result.jobs, result.interrupted = run_on_cluster(cluster, jobs, Path(jobs_file), out, deadline, keep_work,
                                                         settings, log)
        (folder / "batch.json").write_text(json.dumps(result.to_dict(), indent=1))
        return result
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        for job in jobs:
            result.jobs.append(run_job(job, name, out, deadline, keep_work, echo, log))
    except KeyboardInterrupt:
        result.interrupted = True
        current = next((j for j in jobs if j.id not in {r.id for r in result.jobs}), None)
        if current is not None:
            result.jobs.append(stopped(current, name, Path(jobs_file)))
        log("batch stopped (signal): the same command continues it")
    finally:
        signal.signal(signal.SIGTERM, previous)
        (folder / "batch.json").write_text(json.dumps(result.to_dict(), indent=1))
    return result


def stopped(job: Job, name: str, jobs_file: Path) -> JobResult:
    return JobResult(job.id, f"{name}-{job.id}", str(job.repo), "stopped",
                     f"the batch was stopped: `hpcagent batch {jobs_file}` continues it")


def run_job(job: Job, name: str, out: Path, deadline: float | None, keep_work: bool, echo, log) -> JobResult:
    """Run, continue or skip one job (deadline: time.monotonic() value, or None); KeyboardInterrupt passes."""
    from hpcagent.agent.cli.optimize import prepare_config
    from hpcagent.agent.review.runs import info
    from hpcagent.agent.run import runner

    run_id = f"{name}-{job.id}"
    run_dir = out / run_id
    t0 = time.monotonic()
    if (run_dir / "run.json").exists() and info(run_dir).status == "done":
        log(f"{job.id}: done by an earlier call ({run_id}); not run again")
        return _from_run(job, run_id, run_dir, "already")
    left = None if deadline is None else deadline - time.monotonic()
    if left is not None and left < 60:
        log(f"{job.id}: skipped, out of time")
        return JobResult(job.id, run_id, str(job.repo), "skipped", "out of time before it began")
    try:
        if (run_dir / "run.json").exists():
            log(f"{job.id}: continuing {run_id}")
            runner.resume(run_id, out, echo)
        else:
            overrides = dict(job.overrides)
            if left is not None:
                overrides["budget.wall_minutes"] = min(float(overrides.get("budget.wall_minutes", 480.0)), left / 60)
            cfg, origin = prepare_config(job.repo, job.config, overrides)
            log(f"{job.id}: starting {run_id} on {job.repo}")
            runner.start(job.repo, cfg, origin, out, run_id, echo)
    except HpcAgentError as exc:
        r = JobResult(job.id, run_id, str(job.repo), "failed", exc.message + (f" ({exc.fix})" if exc.fix else ""))
        r.seconds = round(time.monotonic() - t0, 1)
        log(f"{job.id}: could not run: {r.reason}")
        return r
    r = _from_run(job, run_id, run_dir, "done")
    r.seconds = round(time.monotonic() - t0, 1)
    log(f"{job.id}: {r.status}, {r.accepted} of {r.tried} loop(s) accepted"
        + (f", {r.speedup:.2f}x" if r.speedup else ""))
    if not keep_work and r.status == "done":
        for tree in PRUNED:
            shutil.rmtree(run_dir / "work" / tree, ignore_errors=True)
    return r


def _from_run(job: Job, run_id: str, run_dir: Path, status: str) -> JobResult:
    from hpcagent.agent.review.runs import info

    i = info(run_dir)
    if i.status == "failed":
        return JobResult(job.id, run_id, str(job.repo), "failed", i.reason, i.tried, i.accepted, i.best_speedup)
    return JobResult(job.id, run_id, str(job.repo), status if i.status == "done" else i.status, i.reason, i.tried,
                     i.accepted, i.best_speedup, round(i.seconds or 0.0, 1))


def format_batch(result: BatchResult) -> str:
    rows = [("job", "run", "status", "tried", "accepted", "speedup", "reason")]
    for j in result.jobs:
        rows.append((j.id, j.run_id, j.status, str(j.tried), str(j.accepted),
                     f"{j.speedup:.2f}x" if j.speedup else "-", j.reason))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:6], widths)) + "  " + r[6] for r in rows]
    lines.append(f"exit code {result.exit_code}" + (" (stopped)" if result.interrupted else ""))
    return "\n".join(lines)
