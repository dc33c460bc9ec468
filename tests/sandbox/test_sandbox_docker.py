"""The Docker sandbox with the real engine and image: races, limits, timeouts, isolation, cleanup."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import DATA
from typer.testing import CliRunner

from hpcagent.agent.cli.main import app
from hpcagent.sandbox.backends import copy_tree, scratch_dir
from hpcagent.sandbox.steps import Limits, Step

pytestmark = pytest.mark.docker
SB = DATA / "sandbox"
runner = CliRunner()


def container_gone(sandbox) -> bool:
    """The last run's container no longer exists (other runs may be going on concurrently)."""
    import docker.errors

    assert sandbox.last_container_id
    try:
        sandbox.client.containers.get(sandbox.last_container_id)
        return False
    except docker.errors.NotFound:
        return True


def run_one(sandbox, source: str, cmd: str, timeout: float = 20, limits: Limits | None = None):
    work = scratch_dir()
    try:
        copy_tree(SB / source, work / "src")
        build = Step("build", f"gcc -O1 {source} -o prog", cwd="src", stop_on_failure=True)
        return sandbox.run(work, [build, Step("run", cmd, cwd="src", timeout=timeout)], limits)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_json(*args: str):
    result = runner.invoke(app, ["check", *args, "--json", "--sandbox", "docker"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip().startswith("{") else None


def test_racy_loop_reported_at_the_right_line_and_variable(digest):
    before = digest(SB)
    code, out = check_json(str(SB / "racy_sum.c"))
    assert code == 1
    assert out["races"], out
    assert {(r["file"], r["line"], r["variable"]) for r in out["races"]} == {("racy_sum.c", 10, "total")}
    assert len(out["runs"]) == 2 and {r["threads"] for r in out["runs"]} == {2, 4}
    assert digest(SB) == before


def test_reduction_version_is_clean():
    code, out = check_json(str(SB / "reduction_sum.c"), "--threads", "2,3", "--repeats", "2")
    assert code == 0, out
    assert out["races"] == [] and out["build"]["ok"]
    assert [(r["threads"], r["repeat"]) for r in out["runs"]] == [(2, 0), (3, 0), (2, 1), (3, 1)]


def test_compile_error_comes_back_as_diagnostics():
    code, out = check_json(str(SB / "broken.c"))
    assert code == 2
    assert out["build"]["ok"] is False
    errors = [d for d in out["build"]["diagnostics"] if d["severity"] == "error"]
    assert errors and all(d["file"] == "broken.c" for d in errors)
    assert {d["line"] for d in errors} & {4, 5}


def test_hanging_program_is_killed_at_the_timeout_and_its_container_removed(docker_sandbox):
    res = run_one(docker_sandbox, "hang.c", "./prog", timeout=2)
    assert res[0].ok
    assert res[1].timed_out and "timed out" in res[1].reason
    assert 1.5 < res[1].seconds < 10
    assert "spinning" in res[1].stdout
    assert container_gone(docker_sandbox)


def test_wall_clock_limit_kills_the_container(docker_sandbox):
    work = scratch_dir()
    # The step's own timeout is long; the run's wall clock (sum of timeouts + margin) is what stops it here.
    res = docker_sandbox.run(work, [Step("sleep", "sleep 100", timeout=1)], Limits(wall_margin=0))
    assert res[0].timed_out
    assert container_gone(docker_sandbox)
    shutil.rmtree(work, ignore_errors=True)


def test_network_is_off(docker_sandbox):
    res = run_one(docker_sandbox, "network.c", "./prog")
    assert res[1].exit_code == 3, res[1]
    assert "connect failed" in res[1].stdout and "unreachable" in res[1].stdout.lower()


def test_every_container_has_the_same_host_name(docker_sandbox):
    # a program that prints its host (CoMD does) must print the same in the original's run and a candidate's
    work = scratch_dir()
    names = [docker_sandbox.run(work, [Step("host", "hostname")])[0].stdout.strip() for _ in range(2)]
    assert names == ["hpcagent-sandbox", "hpcagent-sandbox"], names
    shutil.rmtree(work, ignore_errors=True)


def test_fork_bomb_is_stopped_and_reported(docker_sandbox):
    res = run_one(docker_sandbox, "forkbomb.c", "./prog", limits=Limits(pids=64))
    assert res[1].exit_code == 4, res[1]
    assert "fork failed" in res[1].stdout
    assert container_gone(docker_sandbox)


def test_memory_bomb_is_stopped_and_reported(docker_sandbox):
    res = run_one(docker_sandbox, "membomb.c", "./prog", limits=Limits(memory_mb=256))
    assert not res[1].ok
    assert res[1].exit_code in (137, 5)
    assert "memory" in res[1].reason or "malloc failed" in res[1].stdout


def test_output_bomb_is_stopped_and_reported(docker_sandbox):
    res = run_one(docker_sandbox, "outbomb.c", "./prog", limits=Limits(output_mb=8))
    assert not res[1].ok
    assert "output limit" in res[1].reason
    assert res[1].truncated


def test_runs_as_non_root_with_a_read_only_root(docker_sandbox):
    work = scratch_dir()
    res = docker_sandbox.run(work, [Step("id", "id -u"), Step("write-root", "touch /etc/x")])
    assert res[0].stdout.strip() == "1000"
    assert not res[1].ok
    shutil.rmtree(work, ignore_errors=True)


def test_ctrl_c_removes_the_container(docker_sandbox, monkeypatch):
    import docker.models.containers as dc

    def interrupted(self, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dc.Container, "wait", interrupted)
    work = scratch_dir()
    with pytest.raises(KeyboardInterrupt):
        docker_sandbox.run(work, [Step("sleep", "sleep 30", timeout=60)])
    assert container_gone(docker_sandbox)
    shutil.rmtree(work, ignore_errors=True)


def test_no_engine_gives_a_clear_message(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    result = runner.invoke(app, ["check", str(SB / "racy_sum.c"), "--sandbox", "docker"])
    assert result.exit_code == 2
    assert "no Docker engine answers" in result.output and "--sandbox local" in result.output
    doc = runner.invoke(app, ["doctor"])
    assert doc.exit_code == 1 and "fix:" in doc.output


def test_doctor_passes_with_the_real_image():
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "TSan race report with source lines" in result.output


def test_cmake_project_gets_the_race_flags_and_its_race_found(digest):
    project = DATA / "projects" / "cmake_racy"
    before = digest(project)
    code, out = check_json(str(project), "--run", "./build-hpcagent-race/counter")
    assert code == 1, out   # a race report at all proves CMake built with the injected TSan flags
    assert {(r["file"], r["line"], r["variable"]) for r in out["races"]} == {("counter.c", 11, "hits")}
    assert digest(project) == before


def test_the_container_gets_only_the_cpus_this_process_may_use(tmp_path):
    """Inside a Slurm job (or under taskset) this process may use only some CPUs, but Docker's containers are not in
    the job: the sandbox pins them to the job's CPUs itself, the timing's two CPUs included."""
    import os
    import subprocess
    import sys

    if len(os.sched_getaffinity(0)) < 2:
        pytest.fail("this test needs a machine with 2 CPUs or more")
    last = max(os.sched_getaffinity(0))
    code = f"""
import os
from pathlib import Path
from hpcagent.sandbox.backends.container import DockerSandbox, usable_cpus
from hpcagent.sandbox.steps import Limits, Step
os.sched_setaffinity(0, {{{last}}})
print("wanted", usable_cpus((0, 1)))
work = Path({str(tmp_path)!r})
r = DockerSandbox().run(work, [Step("cpus", "nproc; grep Cpus_allowed_list /proc/self/status")], Limits(cpus=(0, 1)))
print(r[0].stdout)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"wanted [{last}]" in out.stdout
    assert out.stdout.split("wanted")[1].splitlines()[1].strip() == "1"  # nproc inside the container
    assert f"Cpus_allowed_list:\t{last}" in out.stdout
