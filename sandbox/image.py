"""Build the sandbox image: `docker build` from a registry, or debootstrap + `docker import` offline."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from hpcagent.errors import SandboxUnavailable

HERE = Path(__file__).resolve().parent
IMAGE_REPO = "hpcagent-sandbox"
SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# The same user, home and working directory as the Dockerfile's.
USER_LINES = {
    "etc/passwd": "runner:x:1000:1000::/w:/bin/sh\n",
    "etc/group": "runner:x:1000:\n",
}


def packages() -> list[str]:
    """Return the image's Debian packages, from packages.txt."""
    lines = (HERE / "packages.txt").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def image_tag() -> str:
    """Return the image tag for this version: it changes whenever the package list or Dockerfile does."""
    from hpcagent import __version__

    digest = hashlib.sha256()
    for name in ("packages.txt", "Dockerfile"):
        digest.update((HERE / name).read_bytes())
    return f"{IMAGE_REPO}:{__version__}-{digest.hexdigest()[:10]}"


def configured_mirror() -> str:
    """Return the Debian mirror this machine's apt uses (so an offline build needs no other network)."""
    candidates = [Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list")]
    for path in candidates:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            line = line.strip()
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
            if line.startswith("deb ") and "debian" in line and "security" not in line:
                parts = [p for p in line.split() if p.startswith("http")]
                if parts:
                    return parts[0]
    return DEFAULT_MIRROR


def image_exists(client, tag: str | None = None) -> bool:
    """Say whether the engine already has the image."""
    import docker.errors

    try:
        client.images.get(tag or image_tag())
        return True
    except docker.errors.ImageNotFound:
        return False


def build_with_dockerfile(client, tag: str, log: Callable[[str], None]) -> None:
    """Build from sandbox/Dockerfile; raises docker.errors.BuildError when the base image cannot be pulled."""
    log(f"building {tag} from {HERE / 'Dockerfile'}")
    _, lines = client.images.build(path=str(HERE), tag=tag, rm=True, forcerm=True, network_mode="host")
    for chunk in lines:
        if "stream" in chunk and chunk["stream"].strip():
            log(chunk["stream"].rstrip())


def build_offline(client, tag: str, log: Callable[[str], None], mirror: str | None = None) -> None:
    """Build the image with debootstrap from the configured Debian mirror and import it."""
    if shutil.which("debootstrap") is None:
        raise SandboxUnavailable(
            "debootstrap is not installed, so the image cannot be built offline",
            "install it with `apt-get install -y debootstrap` (as root), then rerun `hpcagent sandbox build --offline`",
        )
    mirror = mirror or configured_mirror()
    with tempfile.TemporaryDirectory(prefix="hpcagent-rootfs-") as tmp:
        root = Path(tmp) / "rootfs"
        cmd = ["debootstrap", "--variant=minbase", "--include=" + ",".join(packages()), SUITE, str(root), mirror]
        log("running: " + " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
            raise SandboxUnavailable(
                f"debootstrap failed (exit {proc.returncode}):\n{tail}",
                "check that the Debian mirror is reachable and that you run as root",
            )
        for rel, line in USER_LINES.items():
            with open(root / rel, "a") as fh:
                fh.write(line)
        (root / "w").mkdir(exist_ok=True)
        shutil.chown(root / "w", 1000, 1000)
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (root / cache).glob("*.deb"):
                item.unlink()
        archive = Path(tmp) / "rootfs.tar"
        log(f"packing {root} into {archive}")
        with tarfile.open(archive, "w") as tar:
            for child in sorted(root.iterdir()):
                tar.add(child, arcname=child.name)
        repo, _, version = tag.partition(":")
        log(f"importing as {tag}")
        client.api.import_image_from_file(
            str(archive), repository=repo, tag=version, changes=["USER 1000:1000", "WORKDIR /w"]
        )


def ensure_image(client, *, offline: bool | None = None, force: bool = False,
                 log: Callable[[str], None] = print) -> str:
    """Make sure the versioned image exists; build it (registry first unless offline) if not. Returns the tag."""
    import docker.errors

    tag = image_tag()
    if image_exists(client, tag) and not force:
        log(f"image {tag} is present")
        return tag
    if offline is not True:
        try:
            build_with_dockerfile(client, tag, log)
            return tag
        except (docker.errors.BuildError, docker.errors.APIError) as exc:
            if offline is False:
                raise SandboxUnavailable(f"docker build failed: {exc}", "retry with --offline") from exc
            log(f"cannot build from a base image ({str(exc).splitlines()[0][:200]}); building offline instead")
    build_offline(client, tag, log)
    return tag
