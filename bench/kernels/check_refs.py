"""Check each kernel's OpenMP reference against its serial checksums, and for races under TSan.

usage: .venv/bin/python bench/kernels/check_refs.py [--full] [--tsan] [NAME ...]

Default: build serial (gcc -O3) and reference (gcc -O3 -fopenmp) at the manifest's small sizes,
run the reference on 2 threads, compare every number printed (relative tolerance 1e-6).
--full uses the default sizes and prints wall times (CPU-heavy: about a minute on 2 cores).
--tsan builds every reference with the race-check recipe and runs them all in one sandbox container.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NUMBER = re.compile(r"[-+]?\d+\.\d+e[-+]\d+")
RTOL = 1e-6
TSAN_ENV = (
    "OMP_NUM_THREADS=2 OMP_TOOL_LIBRARIES=/usr/lib/llvm-16/lib/libarcher.so "
    "TSAN_OPTIONS='ignore_noninstrumented_modules=1 "
    "external_symbolizer_path=/usr/lib/llvm-16/bin/llvm-symbolizer'"
)


def load(names):
    """Return the manifest entries, restricted to `names` if any are given."""
    kernels = json.loads((HERE / "manifest.json").read_text())
    unknown = set(names) - {k["name"] for k in kernels}
    if unknown:
        sys.exit(f"unknown kernel(s): {', '.join(sorted(unknown))}")
    return [k for k in kernels if not names or k["name"] in names]


def build_and_run(src, flags, defines, out, threads):
    """Compile `src` with gcc and run it; return (stdout, seconds)."""
    cmd = ["gcc", *flags, *shlex.split(defines), "-o", str(out), str(HERE / src), "-lm"]
    subprocess.run(cmd, check=True)
    start = time.perf_counter()
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    res = subprocess.run([str(out)], check=True, capture_output=True, text=True, env=env)
    return res.stdout, time.perf_counter() - start


def same(a, b):
    """Whether two outputs print the same numbers within RTOL."""
    xs, ys = NUMBER.findall(a), NUMBER.findall(b)
    return len(xs) == len(ys) > 0 and all(
        abs(float(x) - float(y)) <= RTOL * max(abs(float(x)), abs(float(y)), 1e-300) for x, y in zip(xs, ys)
    )


def compare(kernels, full):
    """Compare serial and reference outputs; return the number of mismatches."""
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k in kernels:
            defines = "" if full else k["small_defines"]
            s_out, s_t = build_and_run(k["file"], ["-O3"], defines, Path(tmp) / "s", 1)
            r_out, r_t = build_and_run(k["ref"], ["-O3", "-fopenmp"], defines, Path(tmp) / "r", 2)
            ok = same(s_out, r_out)
            bad += not ok
            print(f"{k['name']:14s} {'same' if ok else 'DIFFERENT'}  serial {s_t:6.2f}s  ref(2 threads) {r_t:6.2f}s")
            if not ok:
                print(f"  serial: {s_out.strip()}\n  ref:    {r_out.strip()}")
    return bad


def tsan(kernels, image):
    """Race-check every reference in one container; return the number of kernels with reports."""
    lines = ["cd /tmp"]
    for k in kernels:
        build = f"clang-16 -fopenmp -fsanitize=thread -g -O1 {k['small_defines']} -o k /k/{k['ref']} -lm"
        lines.append(f"{build} && {TSAN_ENV} ./k > out.txt 2>&1; echo \"== {k['name']} rc=$?\"; cat out.txt")
    cmd = ["docker", "run", "--rm", "--network", "none", "-v", f"{HERE}:/k:ro", image, "sh", "-c", "\n".join(lines)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    bad = 0
    for block in out.split("== ")[1:]:
        head, _, body = block.partition("\n")
        racy = "ThreadSanitizer" in body or not head.endswith("rc=0")
        bad += racy
        print(f"{head:28s} {'RACE/ERROR' if racy else 'clean'}")
        if racy:
            print(body[:2000])
    if out.count("== ") != len(kernels):
        print(f"expected {len(kernels)} results, got {out.count('== ')}")
        bad += 1
    return bad


def main():
    """Parse arguments and run the requested checks."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*")
    p.add_argument("--full", action="store_true", help="default sizes, with wall times")
    p.add_argument("--tsan", action="store_true", help="race-check the references in the sandbox image")
    p.add_argument("--image", help="sandbox image tag (default: hpcagent's own)")
    args = p.parse_args()
    kernels = load(args.names)
    if args.tsan:
        if not args.image:
            from hpcagent.sandbox.image import image_tag

            args.image = image_tag()
        sys.exit(1 if tsan(kernels, args.image) else 0)
    sys.exit(1 if compare(kernels, args.full) else 0)


if __name__ == "__main__":
    main()
