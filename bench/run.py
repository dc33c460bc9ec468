"""Benchmark hpcagent against gcc's auto-parallelizer, LLVM Polly and hand-written OpenMP on the loop kernels.

usage: .venv/bin/python -m bench.run [--quick] [--only NAME,...] [--reps N] [--model M] [--small] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path

from bench import kernel_results, variants
from bench.agent_variant import run_agent

HERE = Path(__file__).resolve().parent
KERNELS = HERE / "kernels"
BASE = ["serial", "gcc-autopar", "polly", "reference"]


def select(quick: bool, only: str | None) -> list[dict]:
    """The manifest entries to run: all, the quick subset, and/or the named ones."""
    kernels = json.loads((KERNELS / "manifest.json").read_text())
    if quick:
        kernels = [k for k in kernels if k["quick"]]
    if only:
        names = [n.strip() for n in only.split(",") if n.strip()]
        unknown = set(names) - {k["name"] for k in kernels}
        if unknown:
            sys.exit(f"unknown kernel(s){' in the quick set' if quick else ''}: {', '.join(sorted(unknown))}")
        kernels = [k for k in kernels if k["name"] in names]
    return kernels


def bench_kernel(sandbox, k: dict, work: Path, args, agents: dict[str, str | None]) -> dict:
    """Every variant of one kernel: build, run, output check, race check, interleaved timing."""
    name, kdir = k["name"], work / k["name"]
    defines = k["small_defines"] if args.small else ""
    result: dict[str, dict] = {}
    for v in args.base:
        variants.place(kdir, v, KERNELS / (k["ref"] if v == "reference" else k["file"]), name)
    for v, model in agents.items():
        log(f"{name}: hpcagent optimize ({model or 'analysis planner'})")
        rec = run_agent(kdir, KERNELS / k["file"], name, defines, k["small_defines"], v, model=model,
                        reps=args.reps, threads=args.threads, extra=args.agent_args,
                        timeout=args.agent_timeout)
        result[v] = rec
        if rec.get("source"):
            variants.place(kdir, v, rec["source"], name)
    # a must-stay-serial kernel's reference is the serial program (no OpenMP directive): like hpcagent with nothing
    # accepted it is 1.0 by definition; timing a binary against itself would only report noise
    same_as_serial = "#pragma omp" not in (KERNELS / k["ref"]).read_text()
    built = [*(v for v in args.base if not (v == "reference" and same_as_serial)),
             *(v for v in agents if result[v].get("source"))]
    log(f"{name}: build and run {', '.join(built)}")
    runs = variants.build_and_run(sandbox, kdir, name, built, defines, args.threads, args.run_timeout)
    if not runs["serial"]["ran"]:
        why = "serial " + runs["serial"].get("reason", "failed")
        return complete({v: {"reason": why} for v in [*args.base, *agents]})
    expected = runs["serial"]["stdout"]
    for v in built[1:]:
        rec = {k2: x for k2, x in variants.check_output(expected, runs[v]).items() if k2 not in ("stdout", "ran")}
        result[v] = {**{x: y for x, y in result.get(v, {}).items() if x != "source"}, **rec}
        result[v]["race"] = None
        if v in variants.COMPILER_PARALLEL:
            result[v]["race_check"] = "n/a"
        elif rec["correct"]:
            log(f"{name}: race check {v}")
            result[v].update(variants.race(sandbox, kdir, v, name, k["small_defines"]))
        if result[v]["correct"] and result[v]["race"] is not True and "reason" not in result[v]:
            slow = variants.too_slow(runs["serial"], runs[v])
            log(f"{name}: time {v} against serial ({'one run, far slower' if slow else f'{args.reps} reps'})")
            result[v].update(slow or variants.timed(sandbox, kdir, v, name, args.threads, args.reps,
                                                    args.run_timeout))
    for v in agents:
        if v not in built and not result[v].get("failed"):
            # Nothing accepted: the variant is the serial program, 1.0 by definition.
            result[v].update(speedup=1.0, min=1.0, max=1.0, correct=True, race=False)
    if same_as_serial:
        result["reference"] = {"speedup": 1.0, "min": 1.0, "max": 1.0, "correct": True, "race": False,
                               "accepted": 0, "reason": "the reference is the serial program"}
    serial_s = next((r["median_serial"] for r in result.values() if r.get("median_serial")),
                    runs["serial"].get("run_seconds"))
    result["serial"] = {"speedup": 1.0, "min": 1.0, "max": 1.0, "correct": True, "race": False,
                        "median_seconds": serial_s}
    return complete({v: result[v] for v in [*args.base, *agents]})


def complete(kernel: dict[str, dict]) -> dict[str, dict]:
    """Give every variant record the same keys (None where there is no value); drop what is not JSON."""
    for rec in kernel.values():
        rec.pop("source", None)
        for key in ("speedup", "min", "max", "correct", "race"):
            rec.setdefault(key, None)
    return kernel


def write_all(args, argv: list[str], results: dict, names: list[str], pending: list[str]) -> None:
    """Write the Markdown page, the JSON and the chart (the *_quick names with --quick)."""
    means, excluded = kernel_results.summarize(results, names)
    manifest = json.loads((KERNELS / "manifest.json").read_text())
    by_form = kernel_results.polly_by_form(results, {k["name"]: k["static_form"] for k in manifest
                                                     if k.get("static_form")})
    command = "python -m bench.run " + shlex.join(argv)
    mach = {**kernel_results.machine(), "threads": args.threads, "reps": args.reps, "model": args.model}
    suffix = "_quick" if args.quick else ""
    args.out.mkdir(parents=True, exist_ok=True)
    png = f"results{suffix}.png"
    kernel_results.write_json(args.out / f"results{suffix}.json", mach, command, means, results, by_form)
    (args.out / f"RESULTS_kernels{suffix}.md").write_text(kernel_results.markdown(
        mach, command, results, names, means, excluded, args.threads, args.reps, png, pending, by_form))
    kernel_results.plot(args.out / png, results, names, means, args.threads)
    log(f"wrote {args.out / f'RESULTS_kernels{suffix}.md'}, results{suffix}.json, {png}")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="only the manifest's quick kernels; writes *_quick files")
    p.add_argument("--only", help="comma-separated kernel names")
    p.add_argument("--polly-par", action="store_true",
                   help="also Polly with its matrix-multiplication pattern off (column polly-par): that pattern "
                        "optimizes a product serially, the other path parallelizes it")
    p.add_argument("--reps", type=int, default=5, help="interleaved timing repetitions (also given to hpcagent)")
    p.add_argument("--threads", type=int, default=2, help="threads of the parallel variants")
    p.add_argument("--model", help="also run hpcagent with --planner llm --model MODEL (column hpcagent-llm)")
    p.add_argument("--small", action="store_true", help="time at the manifest's small sizes (smoke tests only)")
    p.add_argument("--out", type=Path, default=HERE, help="where the results files go (default bench/)")
    p.add_argument("--work", type=Path, help="work directory (default: a new one under /tmp, kept)")
    p.add_argument("--agent-args", default="", help='extra hpcagent optimize options, e.g. "--max-targets 2"')
    p.add_argument("--agent-timeout", type=float, default=7200, help="seconds one hpcagent run may take")
    p.add_argument("--run-timeout", type=float, default=300, help="seconds one kernel run may take")
    args = p.parse_args(argv)
    args.base = [*BASE, *(["polly-par"] if args.polly_par else [])]
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the results files; return the exit code."""
    from hpcagent.errors import HpcAgentError
    from hpcagent.sandbox.backends import get_sandbox

    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    kernels = select(args.quick, args.only)
    agents = {"hpcagent": None, **({"hpcagent-llm": args.model} if args.model else {})}
    try:
        sandbox = get_sandbox("docker")
    except HpcAgentError as exc:
        log(f"error: {exc.message}\nfix: {exc.fix}")
        return 2
    work = args.work or Path(tempfile.mkdtemp(prefix="hpcagent-bench-"))
    log(f"work directory: {work}")
    results: dict[str, dict] = {}
    for k in kernels:
        try:
            results[k["name"]] = bench_kernel(sandbox, k, work, args, agents)
        except HpcAgentError as exc:  # one kernel's sandbox trouble must not lose the others' results
            results[k["name"]] = complete({v: {"reason": f"sandbox error: {exc.message}"}
                                           for v in [*args.base, *agents]})
        # Written after every kernel, so a run stopped half-way still leaves its finished rows.
        write_all(args, argv, results, [*args.base, *agents], [x["name"] for x in kernels if x["name"] not in results])
    return 0


if __name__ == "__main__":
    sys.exit(main())
