"""A sampling profiler of whole call stacks, for the ranking of loops by inclusive time.

A small C library (SOURCE, built in the sandbox) is preloaded into the workload: every millisecond of the main
thread's wall-clock time (a high-resolution POSIX timer; the CPU-time timer, its fall-back, only fires at the kernel's
tick) it records the interrupted address and the return addresses above it (glibc's backtrace, which unwinds through code
built without frame pointers, libm and libstdc++ included), and at exit writes them with the process's memory map.
The addresses in the program's own files are then turned into source lines by addr2line, inline chains included,
so time spent in a callee, an inlined C++ accessor or a libm call counts for the loop that made the call. Unlike
gprof it needs no -pg build, and it reads C++ (demangled names, templates, inlined members) like C.
"""

from __future__ import annotations

import shlex
from collections import Counter
from pathlib import Path

from hpcagent.sandbox.steps import Step

LIB_DIR = ".hpcagent-prof"
OUT_PREFIX = "samples"
SOURCE = r"""/* hpcagent's stack sampler: preloaded into the workload; see sandbox/sampler.py. */
#define _GNU_SOURCE
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define DEPTH 64
#define CAP (1L << 22)

static void **buf;
static long used, lost;
static int on;
static timer_t timer;

static void sample(int sig, siginfo_t *info, void *context) {
    void *frames[DEPTH + 4];
    void *pc = (void *)((ucontext_t *)context)->uc_mcontext.gregs[REG_RIP];
    int n = backtrace(frames, DEPTH + 4), k = 0;
    (void)sig; (void)info;
    while (k < n && frames[k] != pc) k++;
    if (k == n) { frames[0] = pc; k = 0; n = 1; }  /* no unwind past the signal frame: the address alone */
    long len = n - k, at = __atomic_fetch_add(&used, len + 1, __ATOMIC_RELAXED);
    if (at + len + 1 > CAP) { __atomic_fetch_add(&lost, 1, __ATOMIC_RELAXED); return; }
    buf[at] = (void *)len;
    memcpy(buf + at + 1, frames + k, len * sizeof(void *));
}

__attribute__((constructor)) static void start(void) {
    const char *dir = getenv("HPCAGENT_SAMPLES");
    if (!dir || !(buf = malloc(CAP * sizeof(void *)))) return;
    void *warm[4];
    backtrace(warm, 4);  /* loads the unwinder now, not inside a signal handler */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = sample;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGPROF, &sa, NULL);
    /* A 1 ms timer on the main thread's wall clock (a high-resolution timer): the process CPU-time timer only
       fires at the kernel's tick (often 4 ms). The profiled run is serial; blocked time is sampled too. */
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGPROF;
    ev._sigev_un._tid = gettid();
    struct itimerspec ms = {{0, 1000000}, {0, 1000000}};
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer) == 0 && timer_settime(timer, 0, &ms, NULL) == 0) {
        on = 2;
        return;
    }
    struct itimerval every = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_PROF, &every, NULL);
    on = 1;
}

__attribute__((destructor)) static void finish(void) {
    if (!on) return;
    if (on == 2) {
        timer_delete(timer);
    } else {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_PROF, &off, NULL);
    }
    on = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/samples.%ld", getenv("HPCAGENT_SAMPLES"), (long)getpid());
    FILE *out = fopen(path, "w"), *maps = fopen("/proc/self/maps", "r");
    if (!out) return;
    char line[4608];
    while (maps && fgets(line, sizeof line, maps)) fprintf(out, "M %s", line);
    if (maps) fclose(maps);
    long end = used < CAP ? used : CAP;
    for (long at = 0; at < end;) {
        long len = (long)buf[at++];
        if (at + len > end) break;
        fputs("S", out);
        for (long i = 0; i < len; i++) fprintf(out, " %lx", (unsigned long)buf[at + i]);
        fputs("\n", out);
        at += len;
    }
    fprintf(out, "L %ld\n", lost);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        fprintf(out, "T %.6f\n", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
                                 + 1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec));
    fclose(out);
}
"""


def build_step(cwd: str, timeout: float = 120) -> Step:
    """Compile the sampler into cwd/.hpcagent-prof/ (next to the program it will profile)."""
    return Step("sampler-build", f"cc -O2 -fPIC -shared -o {LIB_DIR}/libsampler.so {LIB_DIR}/sampler.c",
                cwd=cwd, timeout=timeout, stop_on_failure=True, files={f"{LIB_DIR}/sampler.c": SOURCE})


def run_step(cmd: str, cwd: str, timeout: float) -> Step:
    """The workload, run once under the sampler (every process it starts writes its own file)."""
    setup = (f'mkdir -p "$PWD/{LIB_DIR}/out"; HPCAGENT_SAMPLES="$PWD/{LIB_DIR}/out"; '
             f'LD_PRELOAD="$PWD/{LIB_DIR}/libsampler.so${{LD_PRELOAD:+:$LD_PRELOAD}}"; '
             "export HPCAGENT_SAMPLES LD_PRELOAD; ")
    return Step("profile-run", setup + cmd, env={"OMP_NUM_THREADS": "1"}, cwd=cwd, timeout=timeout)


def read_samples(tree: Path, here) -> tuple[list[list[tuple[str, int]]], int, float]:
    """Every stack sampled in the tree's run, as (file in the sandbox, address in that file's own terms) frames
    from the interrupted one outwards, and how many samples the buffer had no room for. `here(path)` is the host
    path of a sandbox path, or None for a file outside the tree (its frames are kept with their raw address)."""
    stacks, lost, cpu = [], 0, 0.0
    for path in sorted((Path(tree) / LIB_DIR / "out").glob(f"{OUT_PREFIX}.*")):
        maps: list[tuple[int, int, str]] = []
        bias: dict[str, int] = {}
        for line in path.read_text(errors="replace").splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "M":
                m = _mapping(rest)
                if m:
                    start, end, offset, perms, file = m
                    if offset == 0:
                        bias.setdefault(file, start if _position_independent(here(file)) else 0)
                    if "x" in perms:
                        maps.append((start, end, file))
            elif kind == "S":
                frames = []
                for i, word in enumerate(rest.split()):
                    address = int(word, 16) - (1 if i else 0)  # a return address: the call just before it
                    file = next((f for start, end, f in maps if start <= address < end), None)
                    if file is not None:
                        frames.append((file, address - bias.get(file, 0)))
                stacks.append(frames)
            elif kind == "L":
                lost += int(rest or 0)
            elif kind == "T":
                cpu += float(rest or 0)
    return stacks, lost, cpu


def _mapping(text: str) -> tuple[int, int, int, str, str] | None:
    """(start, end, file offset, permissions, file) of one /proc/self/maps line that maps a file."""
    parts = text.split(None, 5)
    if len(parts) < 6 or not parts[5].startswith("/"):
        return None
    start, end = (int(x, 16) for x in parts[0].split("-"))
    return start, end, int(parts[2], 16), parts[1], parts[5].strip()


def _position_independent(path: Path | None) -> bool:
    """A PIE executable or shared object (ELF type ET_DYN): its addresses are relative to where it was loaded.
    Files outside the tree are never symbolized; their frames keep the raw address."""
    if path is None or not Path(path).is_file():
        return False
    with open(path, "rb") as fh:
        head = fh.read(18)
    return len(head) == 18 and head[:4] == b"\x7fELF" and int.from_bytes(head[16:18], "little") == 3


def symbolize_steps(stacks: list[list[tuple[str, int]]], mine: tuple[str, ...], cwd: str,
                    tree: Path) -> tuple[list[Step], list[tuple[str, list[int]]]]:
    """addr2line steps for the addresses in files under the `mine` prefixes (the program's own files), and, per
    step, the file and the addresses asked in order."""
    wanted: dict[str, set[int]] = {}
    for frames in stacks:
        for file, address in frames:
            if file.startswith(mine):
                wanted.setdefault(file, set()).add(address)
    steps, asked = [], []
    for i, (file, addresses) in enumerate(sorted(wanted.items())):
        order = sorted(addresses)
        name = f"{LIB_DIR}/addr.{i}"
        (Path(tree) / name).write_text("".join(f"{a:x}\n" for a in order))
        steps.append(Step(f"addr2line-{i}", f"addr2line -a -f -i -C -e {shlex.quote(file)} < {name}",
                          cwd=cwd, timeout=300))
        asked.append((file, order))
    return steps, asked


def parse_addr2line(text: str) -> dict[int, list[tuple[str, str, int]]]:
    """addr2line -a -f -i output -> address -> [(function, file, line)], innermost (inlined) frame first."""
    out: dict[int, list[tuple[str, str, int]]] = {}
    current: list | None = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("0x"):
            current = out.setdefault(int(line, 16), [])
            i += 1
            continue
        if current is not None and i + 1 < len(lines):
            where = lines[i + 1].split(" (discriminator")[0]
            file, _, number = where.rpartition(":")
            if file and file != "??" and number.isdigit() and int(number) > 0:
                current.append((line, file, int(number)))
            i += 2
            continue
        i += 1
    return out


def line_stacks(stacks: list[list[tuple[str, int]]], symbols: dict[tuple[str, int], list[tuple[str, str, int]]],
                strip: tuple[str, ...]) -> tuple[Counter, Counter]:
    """Fold the samples into (stacks of 'file:line' from the interrupted line outwards -> samples, self samples per
    function); files read relative to the tree (the `strip` prefixes removed)."""
    def rel(path: str) -> str:
        for prefix in strip:
            if path.startswith(prefix):
                return path[len(prefix):]
        return path

    folded: Counter = Counter()
    functions: Counter = Counter()
    for frames in stacks:
        chain, leaf = [], None
        for frame in frames:
            for function, file, line in symbols.get(frame, []):
                chain.append(f"{rel(file)}:{line}")
                leaf = leaf or function
        folded[tuple(chain)] += 1
        functions[leaf or "(outside the program)"] += 1
    return folded, functions
