"""Run steps in a throw-away Docker container: no network, limits, non-root, removed on every path."""

from __future__ import annotations

import os
from pathlib import Path

from hpcagent.errors import SandboxUnavailable
from hpcagent.sandbox import script
from hpcagent.sandbox.steps import Limits, Step, StepResult

LABEL = "hpcagent.sandbox"
WORKDIR_LABEL = "hpcagent.workdir"
MOUNT = "/w"
HOSTNAME = "hpcagent-sandbox"
"""The host name inside every sandbox container (a fresh container otherwise gets its own id as host name)."""
SANDBOX_UID = 1000


def connect():
    """Return a Docker client whose engine answers, or raise SandboxUnavailable saying what to do."""
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise SandboxUnavailable("the docker Python package is missing", "pip install docker") from exc
    try:
        client = docker.from_env(timeout=30)
        client.ping()
        return client
    except Exception as exc:
        raise SandboxUnavailable(
            f"no Docker engine answers ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})",
            "start one (`sudo systemctl start docker`, or as root `dockerd >/var/log/dockerd.log 2>&1 &`; "
            "`bash .ci/setup` installs and starts it), or run on the host without isolation with `--sandbox local`",
        ) from exc


def usable_cpus(wanted: tuple[int, ...]) -> list[int]:
    """The wanted CPU ids when this process may use them all, else as many of those it may use (inside a Slurm job
    or under taskset: the job's CPUs, which Docker's containers would not otherwise be held to); never empty."""
    have = sorted(os.sched_getaffinity(0))
    if wanted and all(c in have for c in wanted):
        return list(wanted)
    return have[: max(1, len(wanted))]


def _own_for_sandbox(workdir: Path) -> str:
    """Give the sandbox user the work dir; return the container's user spec."""
    if os.getuid() != 0:
        return f"{os.getuid()}:{os.getgid()}"
    for dirpath, dirnames, filenames in os.walk(workdir):
        os.lchown(dirpath, SANDBOX_UID, SANDBOX_UID)
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), SANDBOX_UID, SANDBOX_UID)
    return f"{SANDBOX_UID}:{SANDBOX_UID}"


class DockerSandbox:
    """The default backend: one fresh container per `run`, the work dir bind-mounted at /w."""

    name = "docker"

    def __init__(self, image: str | None = None, client=None):
        from hpcagent.sandbox.image import image_exists, image_tag

        self.client = client or connect()
        self.last_container_id: str | None = None
        """The id of the most recent run's container (gone by the time run() returns)."""
        self.image = image or image_tag()
        if not image_exists(self.client, self.image):
            raise SandboxUnavailable(
                f"the sandbox image {self.image} is not built",
                "run `hpcagent sandbox build` (add --offline on a machine with no image registry)",
            )
        remove_stale(self.client)

    def run(self, workdir: Path, steps: list[Step], limits: Limits | None = None) -> list[StepResult]:
        """Run the steps in one container over workdir; the container is gone when this returns or raises.
        Never while another hpcagent process on this machine is timing (sandbox/cores.py)."""
        from hpcagent.sandbox.cores import shared

        with shared():
            return self._run(workdir, steps, limits)

    def _run(self, workdir: Path, steps: list[Step], limits: Limits | None = None) -> list[StepResult]:
        import requests
        from docker.types import Ulimit

        limits = limits or Limits()
        workdir = Path(workdir).resolve()
        # A run killed with -9 leaves its container going over this same work dir: stop it before reusing the dir.
        for old in self.client.containers.list(all=True, filters={"label": f"{WORKDIR_LABEL}={workdir}"}):
            old.remove(force=True)
        script.prepare(workdir, steps, MOUNT)
        user = _own_for_sandbox(workdir)
        cpus = usable_cpus(limits.cpus)
        out_bytes = limits.output_mb * 1024 * 1024
        wall = sum(s.timeout + 3 for s in steps) + limits.wall_margin
        container = self.client.containers.create(
            self.image, ["sh", f"{MOUNT}/{script.CONTROL_DIR}/run.sh"],
            user=user, working_dir=MOUNT, environment={"HOME": MOUNT, "TMPDIR": "/tmp"},
            network_mode="none", mem_limit=f"{limits.memory_mb}m", memswap_limit=f"{limits.memory_mb}m",
            pids_limit=limits.pids, cpuset_cpus=",".join(map(str, cpus)), nano_cpus=len(cpus) * 10**9,
            ulimits=[Ulimit(name="fsize", soft=out_bytes, hard=out_bytes)],
            read_only=True, tmpfs={"/tmp": "rw,exec,size=1g"}, cap_drop=["ALL"],
            security_opt=["no-new-privileges"], volumes={str(workdir): {"bind": MOUNT, "mode": "rw"}},
            labels={LABEL: "1", WORKDIR_LABEL: str(workdir)}, detach=True,
            # one host name for every run: programs that print it (CoMD) print the same in every container
            hostname=HOSTNAME,
        )
        self.last_container_id = container.id
        killed = False
        try:
            container.start()
            try:
                container.wait(timeout=wall)
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                killed = True
                container.kill()
        finally:
            # Ctrl-C and every other exception land here too: no container outlives its run.
            try:
                container.remove(force=True)
            except Exception:
                pass
        return script.collect(workdir, steps, limits, killed=killed)


def remove_stale(client) -> int:
    """Remove containers a killed hpcagent left behind (labelled, not running)."""
    removed = 0
    for c in client.containers.list(all=True, filters={"label": LABEL, "status": "exited"}):
        try:
            c.remove(force=True)
            removed += 1
        except Exception:
            pass
    return removed
