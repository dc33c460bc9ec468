"""Run `hpcagent check --json` over the race suite and write precision/recall and line/variable accuracy.

Usage: .venv/bin/python bench/race_bench.py [--threads 2,4] [--repeats 1] [--out bench/race_results.md]
Needs Docker and the sandbox image; takes about a second per program on two cores.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "data" / "races"
HPCAGENT = ROOT / ".venv" / "bin" / "hpcagent"


def check(path: Path, threads: str, repeats: int) -> dict:
    """Run the check on one program; return its JSON (or an error record when it gave none)."""
    cmd = [str(HPCAGENT), "check", str(path), "--json", "--sandbox", "docker", "--threads", threads,
           "--repeats", str(repeats)]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=600)
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
        text = f"{r['line']} {r.get('variable') or '?'}"
        if r["line"] not in entry["lines"]:
            is_pragma = 0 < r["line"] <= len(source) and source[r["line"] - 1].lstrip().startswith("#pragma")
            text += " (pragma line)" if is_pragma else " (not a racy line)"
        return text

    row = {"file": entry["file"], "truth": entry["racy"], "said": said_racy, "error": report.get("error", ""),
           "reported": [show(r) for r in races]}
    if entry["racy"] and said_racy:
        row["line_ok"] = any(r["line"] in entry["lines"] for r in races)
        row["var_ok"] = any(r.get("variable") in entry["variables"] for r in races)
        row["all_lines_ok"] = all(r["line"] in entry["lines"] for r in races)
    return row


def ratio(num: int, den: int) -> str:
    return f"{num}/{den} = {num / den:.2f}" if den else "n/a"


def table(rows: list[dict], command: str) -> str:
    """Render the summary and per-program rows as markdown."""
    tp = sum(r["truth"] and r["said"] for r in rows)
    fp = sum(not r["truth"] and r["said"] for r in rows)
    fn = sum(r["truth"] and not r["said"] for r in rows)
    found = [r for r in rows if r["truth"] and r["said"]]
    n_racy = sum(r["truth"] for r in rows)
    out = [
        "## Race detection on the race suite", "",
        f"Command: `{command}`", "",
        (f"{len(rows)} programs ({n_racy} racy, {len(rows) - n_racy} clean); ground truth in "
         "tests/data/races/manifest.json."), "",
        "| metric | value |", "| --- | --- |",
        f"| precision of 'racy' | {ratio(tp, tp + fp)} |",
        f"| recall of 'racy' | {ratio(tp, tp + fn)} |",
        f"| a reported line is a racy line (racy programs found) | {ratio(sum(r['line_ok'] for r in found), len(found))} |",
        f"| every reported line is a racy line | {ratio(sum(r['all_lines_ok'] for r in found), len(found))} |",
        f"| a reported variable is the racy one | {ratio(sum(r['var_ok'] for r in found), len(found))} |",
        "", "| program | truth | verdict | reported (line variable) |", "| --- | --- | --- | --- |",
    ]
    for r in rows:
        verdict = "error: " + r["error"].replace("|", "/") if r["error"] else ("racy" if r["said"] else "clean")
        mark = "" if r["truth"] == r["said"] else " **wrong**"
        out.append(f"| {r['file']} | {'racy' if r['truth'] else 'clean'} | {verdict}{mark} | "
                   f"{', '.join(r['reported'])} |")
    out.append("")
    if any("(pragma line)" in text for r in rows for text in r["reported"]):
        out.append("A reported line marked (pragma line) is the enclosing `#pragma omp` line: TSan's frame #0 "
                   "for both accesses had no line, so the parser fell back to the outlined region's line.")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="2,4")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "race_results.md")
    args = parser.parse_args(argv)
    manifest = json.loads((SUITE / "manifest.json").read_text())
    rows = []
    for entry in manifest:
        rows.append(score(entry, check(SUITE / entry["file"], args.threads, args.repeats)))
        print(f"{entry['file']}: {'racy' if rows[-1]['said'] else 'clean'}", file=sys.stderr)
    command = " ".join(["python", "bench/race_bench.py"] + [shlex.quote(a) for a in (argv or sys.argv[1:])])
    args.out.write_text(table(rows, command))
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
