"""Run `hpcagent check --json` over the race suite and write precision/recall per category, each race marked static
(the loop analysis proved it) or dynamic (TSan saw it), and line/variable accuracy.

Usage: .venv/bin/python bench/race_bench.py [--threads 2,3,4] [--repeats 1] [--timeout 5] [--jobs 2] [--out FILE]
Needs Docker and the sandbox image; a few seconds per program on two cores (a program that never ends costs its
timeout at every thread count).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "data" / "races"
HPCAGENT = ROOT / ".venv" / "bin" / "hpcagent"
CATEGORIES = {
    "input": "races that depend on the schedule or the input (indirect subscripts, nowait, master/masked, "
             "data-dependent writes, a size or thread count)",
    "simd": "between the lanes of one simd loop",
    "target": "target regions run on the host",
    "task": "task dependences, sibling tasks, taskloop",
    "sync": "lock, critical and atomic orders",
    "static-local": "static locals written by every thread",
    "clauses": "missing reduction/private/lastprivate clauses",
    "carried": "loop-carried dependences under parallel for",
    "hang": "programs that never end when racy (spin-waits)",
    "shared": "shared writes in sections, single, lambdas and members",
}


def manifest() -> list[dict]:
    return json.loads((SUITE / "manifest.json").read_text())


def check(path: Path, threads: str, repeats: int, timeout: float) -> dict:
    """Run the check on one program; return its JSON (or an error record when it gave none)."""
    cmd = [str(HPCAGENT), "check", str(path), "--json", "--sandbox", "docker", "--threads", threads,
           "--repeats", str(repeats), "--timeout", f"{timeout:g}"]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=900)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"error": (proc.stderr or proc.stdout).strip()[-300:], "exit_code": proc.returncode}
    report["exit_code"] = proc.returncode
    return report


def score(entry: dict, report: dict) -> dict:
    """Compare one report with the manifest's ground truth."""
    races = report.get("races", [])
    said_racy = report.get("exit_code") == 1 and bool(races)
    source = (SUITE / entry["file"]).read_text().splitlines()

    def show(r: dict) -> str:
        text = f"{r['line']} {r.get('variable') or '?'} [{r.get('source', 'dynamic')}]"
        if r["line"] not in entry["lines"]:
            is_pragma = 0 < r["line"] <= len(source) and source[r["line"] - 1].lstrip().startswith("#pragma")
            text += " (pragma line)" if is_pragma else " (not a racy line)"
        return text

    by = {r.get("source", "dynamic") for r in races}
    row = {"file": entry["file"], "category": entry.get("category", "?"), "truth": entry["racy"],
           "said": said_racy, "error": report.get("error", ""), "reported": [show(r) for r in races],
           "static": "static" in by, "dynamic": "dynamic" in by, "timed_out": bool(report.get("timed_out")),
           "known_limit": bool(entry.get("known_limit"))}
    if entry["racy"] and said_racy:
        row["line_ok"] = any(r["line"] in entry["lines"] for r in races)
        row["var_ok"] = any(r.get("variable") in entry["variables"] for r in races)
        row["all_lines_ok"] = all(r["line"] in entry["lines"] for r in races)
        row["located"] = any(r["line"] in entry["lines"] and r.get("variable") in entry["variables"] for r in races)
    return row


def run_suite(entries: list[dict], threads: str, repeats: int, timeout: float, jobs: int, log=None) -> list[dict]:
    """Check every program (jobs at a time) and score it; rows in the manifest's order."""
    def one(entry: dict) -> dict:
        row = score(entry, check(SUITE / entry["file"], threads, repeats, timeout))
        if log:
            log(f"{entry['file']}: {'racy' if row['said'] else 'clean'}")
        return row

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, entries))


def counts(rows: list[dict]) -> dict:
    """tp/fp/fn/tn and which half found the true positives."""
    tp = [r for r in rows if r["truth"] and r["said"]]
    return {"n": len(rows), "racy": sum(r["truth"] for r in rows), "tp": len(tp),
            "fp": sum(not r["truth"] and r["said"] for r in rows), "fn": sum(r["truth"] and not r["said"] for r in rows),
            "static": sum(r["static"] for r in tp), "dynamic": sum(r["dynamic"] for r in tp),
            "static_only": sum(r["static"] and not r["dynamic"] for r in tp),
            "dynamic_only": sum(r["dynamic"] and not r["static"] for r in tp)}


def per_category(rows: list[dict]) -> dict[str, dict]:
    cats = sorted({r["category"] for r in rows}, key=lambda c: list(CATEGORIES).index(c) if c in CATEGORIES else 99)
    return {c: counts([r for r in rows if r["category"] == c]) for c in cats}


def ratio(num: int, den: int) -> str:
    return f"{num}/{den} = {num / den:.2f}" if den else "n/a"


def table(rows: list[dict], command: str) -> str:
    """Render the summary, the per-category table and the per-program rows as markdown."""
    total = counts(rows)
    found = [r for r in rows if r["truth"] and r["said"]]
    out = [
        "## Race detection on the race suite", "",
        f"Command: `{command}`", "",
        (f"{len(rows)} programs ({total['racy']} racy, {len(rows) - total['racy']} race-free); ground truth in "
         "tests/data/races/manifest.json (README.md there). A race is **static** when the loop analysis proved it "
         "from the source and its directives (tools/loops/static_races.py), **dynamic** when ThreadSanitizer "
         "reported it in a run."), "",
        "| metric | value |", "| --- | --- |",
        f"| precision of 'racy' | {ratio(total['tp'], total['tp'] + total['fp'])} |",
        f"| recall of 'racy' | {ratio(total['tp'], total['tp'] + total['fn'])} |",
        f"| racy programs found by the static half / by TSan | {total['static']} / {total['dynamic']} |",
        f"| found only by the static half / only by TSan | {total['static_only']} / {total['dynamic_only']} |",
        f"| a reported line is a racy line (racy programs found) | {ratio(sum(r['line_ok'] for r in found), len(found))} |",
        f"| every reported line is a racy line | {ratio(sum(r['all_lines_ok'] for r in found), len(found))} |",
        f"| a reported variable is the racy one | {ratio(sum(r['var_ok'] for r in found), len(found))} |",
        "", "| category | programs (racy) | precision | recall | found static / dynamic | static only / dynamic only |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for cat, c in per_category(rows).items():
        out.append(f"| {cat} | {c['n']} ({c['racy']}) | {ratio(c['tp'], c['tp'] + c['fp'])} | "
                   f"{ratio(c['tp'], c['tp'] + c['fn'])} | {c['static']} / {c['dynamic']} | "
                   f"{c['static_only']} / {c['dynamic_only']} |")
    found_by = [("found only by the static half", lambda r: r["static"] and not r["dynamic"]),
                ("found only by TSan", lambda r: r["dynamic"] and not r["static"]),
                ("missed", lambda r: not r["said"])]
    out.append("")
    for title, test in found_by:
        files = [r["file"] for r in rows if r["truth"] and test(r)]
        out.append(f"- {title} ({len(files)}): {', '.join(files) or 'none'}")
    out += ["", "| program | category | truth | verdict | reported (line variable [source]) |",
            "| --- | --- | --- | --- | --- |"]
    for r in rows:
        verdict = "error: " + r["error"].replace("|", "/") if r["error"] else ("racy" if r["said"] else "clean")
        verdict += " (timed out)" if r["timed_out"] else ""
        mark = "" if r["truth"] == r["said"] else " **wrong**"
        out.append(f"| {r['file']} | {r['category']} | {'racy' if r['truth'] else 'clean'} | {verdict}{mark} | "
                   f"{', '.join(r['reported'])} |")
    out.append("")
    if any(r["timed_out"] for r in rows):
        out.append("A verdict marked (timed out): a run was killed at the timeout (the program spins forever when the "
                   "race goes one way); its races come from the output the run had printed by then.")
    if any("(pragma line)" in text for r in rows for text in r["reported"]):
        out.append("A reported line marked (pragma line) is the enclosing `#pragma omp` line: TSan's frame #0 "
                   "for both accesses had no line, so the parser fell back to the outlined region's line.")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="2,3,4")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per run (the hanging programs use it up)")
    parser.add_argument("--jobs", type=int, default=2, help="programs checked at once")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "race_results.md")
    args = parser.parse_args(argv)
    rows = run_suite(manifest(), args.threads, args.repeats, args.timeout, args.jobs,
                     log=lambda text: print(text, file=sys.stderr))
    command = " ".join(["python", "bench/race_bench.py"] + [shlex.quote(a) for a in (argv or sys.argv[1:])])
    args.out.write_text(table(rows, command))
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
