"""Run `hpcagent optimize` on each bundled example; tabulate serial time, optimized time, speedup, agent time.

Usage (from the repository root, on a quiet machine):
    .venv/bin/python bench/examples_bench.py [--only heat2d,cg] [--out bench/.runs] [-- extra optimize flags]
Writes bench/examples_results.md and prints it.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = ["heat2d", "cg", "nbody", "recurrence"]


def run_example(name: str, out: Path, extra: list[str]) -> dict:
    """Optimize one example; return its row (or the failure)."""
    run_id = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    cmd = [str(REPO / ".venv/bin/hpcagent"), "optimize", str(REPO / "examples" / name), "--out", str(out),
           "--run-id", run_id, "--quiet", *extra]
    t0 = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    summary_path = out / run_id / "summary.json"
    if not summary_path.exists():
        return {"name": name, "error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}", "agent_seconds": wall}
    s = json.loads(summary_path.read_text())
    w = s["whole_program"]
    accepted = [f"{lp['loop']} `{lp['change']}`" for lp in s["loops"] if lp["status"] == "accepted"]
    refused = [f"{lp['loop']} ({lp['status']}: {lp['reason'].splitlines()[0][:90]})" for lp in s["loops"]
               if lp["status"] != "accepted"]
    return {"name": name, "exit": proc.returncode, "agent_seconds": round(wall, 1), "serial": w["median_serial"],
            "parallel": w["median_parallel"], "speedup": w["speedup"], "min": w["min"], "max": w["max"],
            "threads": w["threads"], "accepted": accepted, "refused": refused, "run_dir": str(out / run_id)}


def table(rows: list[dict], command: str) -> str:
    lines = ["| example | serial (s, median) | with accepted changes (s, median) | speedup (min-max) | agent wall time |"
             " accepted | not accepted |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']} | - | - | failed: {r['error']} | {r['agent_seconds']:.0f} s | | |")
            continue
        if r["speedup"]:
            sp = f"{r['speedup']:.2f}x ({r['min']:.2f}-{r['max']:.2f}) at {r['threads']} threads"
            par = f"{r['parallel']:.3f}"
            ser = f"{r['serial']:.3f}"
        else:
            sp, par, ser = "1.00 (nothing accepted)", "-", "-"
        lines.append(f"| {r['name']} | {ser} | {par} | {sp} | {r['agent_seconds']:.0f} s | "
                     f"{'<br>'.join(r['accepted']) or '-'} | {'<br>'.join(r['refused']) or '-'} |")
    head = [f"Command: `{command}`", "", f"Machine: {platform.node()}, {platform.machine()}, "
            f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores; "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
            "Serial and optimized medians come from the whole-program check after composing the accepted changes "
            "(interleaved runs in the sandbox, pinned CPU set).", ""]
    return "\n".join(head + lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(EXAMPLES))
    parser.add_argument("--out", type=Path, default=REPO / "bench" / ".runs")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "examples_results.md")
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    rows = []
    for name in args.only.split(","):
        print(f"optimizing examples/{name} ...", file=sys.stderr, flush=True)
        rows.append(run_example(name, args.out, extra))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    command = ".venv/bin/python bench/examples_bench.py " + " ".join(shlex.quote(a) for a in argv)
    text = table(rows, command.strip())
    args.results.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
