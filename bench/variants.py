"""Build, check and time one kernel's variants (serial, gcc-autopar, polly, reference, hpcagent) in the sandbox."""

from __future__ import annotations

import shutil
from pathlib import Path

from hpcagent.sandbox.build import BuildSpec
from hpcagent.sandbox.racecheck import race_check
from hpcagent.sandbox.steps import Step
from hpcagent.sandbox.timer import time_interleaved
from hpcagent.tools.compare import compare_text

POLLY = ("-mllvm -polly -mllvm -polly-parallel -mllvm -polly-process-unprofitable -mllvm -disable-loop-idiom-all")
"""Polly's flags. -disable-loop-idiom-all keeps LLVM from turning zeroing loops (`tmp[i][j] = 0.0`) into memset calls
before Polly runs: clang-16 -O3 does that first, and Polly then dismissed the whole region ("Inbounds assumption:
{ : false }" in its -Rpass-analysis=polly-scops remarks) and made no OpenMP call on 2mm, doitgen and covariance in
either form. With it, Polly parallelizes them."""
# Compile command per variant, run inside the variant's directory; {d} = size defines, {t} = threads.
# gcc's parloops links libgomp by itself; Debian's clang-16 has Polly built in (no -load of LLVMPolly.so).
COMPILE = {
    "serial": "gcc -O3 {d} {src} -o {bin} -lm",
    "gcc-autopar": "gcc -O3 -ftree-parallelize-loops={t} {d} {src} -o {bin} -lm",
    "polly": "clang-16 -O3 " + POLLY + " -fopenmp {d} {src} -o {bin} -lm",
    "polly-par": "clang-16 -O3 " + POLLY + " -mllvm -polly-pattern-matching-based-opts=false -fopenmp {d} {src} "
                 "-o {bin} -lm",
    "reference": "gcc -O3 -fopenmp {d} {src} -o {bin} -lm",
    "hpcagent": "gcc -O3 -fopenmp {d} {src} -o {bin} -lm",
    "hpcagent-llm": "gcc -O3 -fopenmp {d} {src} -o {bin} -lm",
}
# Parallelism the compiler creates itself cannot be race-checked the way source pragmas can (see RACE_NA).
COMPILER_PARALLEL = ("gcc-autopar", "polly", "polly-par")
RACE_NA = ("gcc-autopar and polly add threads inside the optimizer at -O3, from source without pragmas. "
           "A ThreadSanitizer build (clang-16 -O1 with Archer) does not contain that parallel code, and "
           "gcc's libgomp is not TSan-instrumented (every barrier would read as a race), so their evidence "
           "is the output comparison only.")
RUNTIME_CALLS = "GOMP_parallel"  # both gcc's parloops and Polly's GNU OpenMP backend call GOMP_parallel*


def place(kdir: Path, variant: str, source: Path, name: str) -> None:
    """Copy a variant's source into its own directory of the kernel's work dir, as NAME.c."""
    vdir = kdir / variant
    if vdir.exists():
        shutil.rmtree(vdir)
    vdir.mkdir(parents=True)
    shutil.copy2(source, vdir / f"{name}.c")


def build_and_run(sandbox, kdir: Path, name: str, variants: list[str], defines: str, threads: int,
                  timeout: float) -> dict[str, dict]:
    """Build every variant and run it once, all in one container; return {variant: build/run record}."""
    steps = []
    for v in variants:
        cmd = COMPILE[v].format(d=defines, t=threads, src=f"{name}.c", bin=name)
        steps += [Step(f"build-{v}", cmd, cwd=v, timeout=600),
                  Step(f"nm-{v}", f"nm {name} | grep -c {RUNTIME_CALLS} || true", cwd=v, timeout=60),
                  Step(f"run-{v}", f"./{name}", env={"OMP_NUM_THREADS": str(threads)}, cwd=v, timeout=timeout)]
    results = sandbox.run(kdir, steps)
    out = {}
    for i, v in enumerate(variants):
        build, nm, run = results[3 * i: 3 * i + 3]
        rec = {"built": build.ok, "ran": False, "stdout": "", "parallel_code": None}
        if not build.ok:
            rec["reason"] = "build failed: " + last_line(build.stderr or build.stdout or build.reason)
        elif not run.ok:
            rec["reason"] = f"run failed: {run.reason or 'exit ' + str(run.exit_code)}"
        else:
            rec.update(ran=True, stdout=run.stdout, run_seconds=round(run.seconds, 4))
        if v in COMPILER_PARALLEL and nm.ok:
            rec["parallel_code"] = nm.stdout.strip() not in ("", "0")
        out[v] = rec
    return out


def last_line(text: str) -> str:
    """The last non-empty line of a log, shortened (the error a reader needs first)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[-1] if lines else "no output")[:200]


def check_output(expected: str, rec: dict) -> dict:
    """Compare a variant's output with the serial one (rtol 1e-6); fill correct/reason."""
    if not rec["ran"]:
        return {**rec, "correct": None}
    diff = compare_text(expected, rec["stdout"], rtol=1e-6)
    if diff:
        return {**rec, "correct": False, "reason": f"wrong output: {diff}"}
    return {**rec, "correct": True}


def race(sandbox, kdir: Path, variant: str, name: str, small_defines: str, threads=(2, 4)) -> dict:
    """Race-check a pragma variant: clang-16 TSan + Archer build at the small size, runs at each thread count."""
    spec = BuildSpec("command", command=f"$CC $CFLAGS {small_defines} {name}.c -o {name}_race $LDFLAGS -lm")
    check = race_check(sandbox, kdir, spec, f"./{name}_race", threads=threads, cwd=variant)
    if not check.build.ok:
        return {"race": None, "reason": "race check could not build: " + last_line(check.build.log)}
    if check.races:
        first = check.races[0]
        where = f" at {first.file}:{first.line}" if first.line else ""
        return {"race": True, "races": len(check.races), "reason": f"race ({len(check.races)} reports{where})"}
    if not check.ran:
        bad = next((r for r in check.runs if not r.ok), None)
        return {"race": None, "reason": f"race check run failed: {bad.reason if bad else '?'}"}
    return {"race": False}


def too_slow(serial: dict, rec: dict, factor: float = 10.0) -> dict | None:
    """A variant over `factor` times slower than serial in its checking run: its speedup from that one run."""
    a, b = serial.get("run_seconds") or 0, rec.get("run_seconds") or 0
    if a < 0.05 or b < factor * a:  # too short to judge from one run, or not pathological
        return None
    # Five interleaved repetitions of a 10x slowdown would cost many minutes and change no conclusion.
    s = round(a / b, 3)
    return {"speedup": s, "min": s, "max": s, "beyond_noise": False, "median_seconds": b,
            "timing": f"one run only: over {factor:g}x slower than serial, interleaved timing skipped"}


def timed(sandbox, kdir: Path, variant: str, name: str, threads: int, reps: int, timeout: float) -> dict:
    """Time serial against the variant, interleaved; return speedup/min/max or a reason."""
    res = time_interleaved(sandbox, kdir, {"cwd": "serial", "cmd": f"./{name}"},
                           {"cwd": variant, "cmd": f"./{name}"}, threads=threads, reps=reps, timeout=timeout)
    if not res.measured:
        return {"speedup": None, "reason": "timing failed: " + (res.error or "?")[:200]}
    return {"speedup": res.speedup, "min": res.speedup_min, "max": res.speedup_max,
            "beyond_noise": res.beyond_noise, "median_serial": res.median_a, "median_seconds": res.median_b}
