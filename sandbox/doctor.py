"""Check that the sandbox can do its job: engine, image, compilers, OpenMP, Archer, symbolizer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hpcagent.errors import SandboxUnavailable
from hpcagent.sandbox.backends import scratch_dir
from hpcagent.sandbox.build import LLVM, RACE_ENV
from hpcagent.sandbox.steps import Step

RACY = """#include <stdio.h>
int main(void) { int s = 0;
#pragma omp parallel for
  for (int i = 0; i < 1000; i++) s += i;
  printf("%d\\n", s); return 0; }
"""
BUILD_IMAGE = "run `hpcagent sandbox build` (it builds offline with debootstrap when no registry answers)"
# name, command run in the image, the fix when it fails
PROBES = [
    ("gcc", "gcc --version", BUILD_IMAGE),
    ("g++", "g++ --version", BUILD_IMAGE),
    ("clang-16", "clang-16 --version", BUILD_IMAGE),
    ("make", "make --version", BUILD_IMAGE),
    ("cmake", "cmake --version", BUILD_IMAGE),
    ("addr2line", "addr2line --version", BUILD_IMAGE),
    ("OpenMP (gcc)",
     "gcc -fopenmp -x c - -o /tmp/g <<'E'\n#include <omp.h>\nint main(){return omp_get_max_threads()<1;}\nE\n/tmp/g",
     BUILD_IMAGE),
    ("OpenMP (clang, libomp)", "clang-16 -fopenmp racy.c -o /tmp/c && /tmp/c", BUILD_IMAGE),
    ("Archer", f"test -f {LLVM}/lib/libarcher.so", "the image lacks libomp-16-dev's Archer: " + BUILD_IMAGE),
    ("llvm-symbolizer", f"test -x {LLVM}/bin/llvm-symbolizer", "the image lacks llvm-16: " + BUILD_IMAGE),
    ("TSan race report with source lines",
     "clang-16 -fopenmp -fsanitize=thread -g -O1 racy.c -o racy && OMP_NUM_THREADS=2 ./racy 2>&1 | grep -q 'racy.c:4'",
     "race reports lack file:line: check the symbolizer and Archer in the image, then " + BUILD_IMAGE),
]


@dataclass
class Finding:
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""


def run_doctor(backend: str = "docker") -> list[Finding]:
    """Return one finding per check; stop early when the engine or image is missing."""
    from hpcagent.sandbox.image import image_exists, image_tag

    findings: list[Finding] = []
    if backend == "docker":
        from hpcagent.sandbox.backends.container import DockerSandbox, connect

        try:
            client = connect()
            findings.append(Finding("Docker engine", True, client.version().get("Version", "")))
        except SandboxUnavailable as exc:
            findings.append(Finding("Docker engine", False, exc.message, exc.fix))
            return findings
        tag = image_tag()
        if not image_exists(client, tag):
            findings.append(Finding(f"image {tag}", False, "not built", BUILD_IMAGE))
            return findings
        findings.append(Finding(f"image {tag}", True))
        sandbox = DockerSandbox(tag, client)
    else:
        from hpcagent.sandbox.backends.local import LocalSandbox

        sandbox = LocalSandbox(quiet=True)
    work = scratch_dir("hpcagent-doctor-")
    (Path(work) / "racy.c").write_text(RACY)
    steps = [Step(name, cmd, env=dict(RACE_ENV), timeout=120) for name, cmd, _ in PROBES]
    for (name, _, fix), res in zip(PROBES, sandbox.run(work, steps)):
        detail = (res.stdout or res.stderr).strip().splitlines()[0][:100] if (res.stdout or res.stderr).strip() else ""
        if backend == "local" and not res.ok:
            fix = "install it on the host (Debian: apt-get install gcc g++ make cmake clang-16 libomp-16-dev " \
                  "libclang-rt-16-dev llvm-16)"
        findings.append(Finding(name, res.ok, detail if res.ok else (res.reason or detail or "failed"), fix))
    return findings
