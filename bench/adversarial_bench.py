"""The adversarial benchmark: a planner that proposes as a weak model does, on every labeled loop, against the veto and
the sandbox. How many changes on loops labeled dependent get accepted (the goal: none), and what caution costs.

The weak planner proposes, for every loop of the labeled corpus (tests/data/loops), `#pragma omp parallel for`, then
the same with clauses guessed from the loop's text alone (`reduction(+:v)` for each `v +=`, `private(v)` for every
other scalar it assigns). Each proposal meets the static veto first (tools/loops/veto.py); on loops labeled serial,
every proposal the veto lets through goes to the real sandbox (race check at several thread counts and schedules,
release build, output against the original's, timing), as in an optimize run. On loops labeled parallel or reduction,
the proposal with the labeled clauses is put to the veto: a refusal there is the cost of caution.

Usage (from the repository root; the serial loops' sandbox runs need the Docker engine and the image):
    .venv/bin/python -m bench.adversarial_bench [--no-sandbox] [--results bench/adversarial_results.md]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.loops_bench import CORPUS, corpus_files, labels
from hpcagent.agent.config import Config
from hpcagent.records import Proposal
from hpcagent.tools.loops.analysis import LoopReport, analyze_file, load_program
from hpcagent.tools.loops.veto import veto
from hpcagent.tools.patch import insert_before


def guesses(lines: list[str], report: LoopReport) -> list[str]:
    """Clauses a weak model guesses from the loop's text: reductions for `v +=`, private for other scalars set."""
    body = "\n".join(lines[report.line: report.end_line])
    summed = sorted(set(re.findall(r"(?<![\w.\]>])([A-Za-z_]\w*)\s*\+=", body)) - {report.index})
    assigned = set(re.findall(r"(?<![\w.\]>])([A-Za-z_]\w*)\s*=(?!=)", body)) - set(summed) - {report.index}
    declared = set(re.findall(r"\b(?:int|long|double|float|char|size_t|unsigned)\s+\**([A-Za-z_]\w*)", body))
    return [f"reduction(+:{v})" for v in summed] + [f"private({v})" for v in sorted(assigned - declared)]


def proposal(file: str, lines: list[str], report: LoopReport, clauses: list[str]) -> Proposal:
    pragma = " ".join(["#pragma omp parallel for", *clauses])
    return Proposal(file, report.line, report.end_line, pragma=pragma, clauses=clauses,
                    edits=[insert_before(file, report.line, pragma, lines)], source="adversary")


def run(sandbox_on: bool) -> tuple[list[dict], dict]:
    rows, cfg = [], Config()
    cfg.budget.timing_reps = 3
    lab = None
    if sandbox_on:
        from hpcagent.agent.run.lab import SandboxLab
        from hpcagent.sandbox.backends import get_sandbox

        lab = SandboxLab(get_sandbox("docker"))
    for path in corpus_files():
        print(f"{path.name} ...", file=sys.stderr, flush=True)
        reports = analyze_file(path, CORPUS, load_program(CORPUS))
        lines = path.read_text().splitlines()
        base, work = None, None
        for label in labels(path):
            report = next((r for r in reports if r.line == label.line), None)
            if report is None:
                rows.append({"loop": f"{label.file}:{label.line}", "label": label.verdict, "note": "not analysed"})
                continue
            weak = [proposal(label.file, lines, report, []), proposal(label.file, lines, report,
                                                                       guesses(lines, report))]
            if weak[1].pragma == weak[0].pragma:
                weak = weak[:1]
            row = {"loop": f"{label.file}:{label.line}", "label": label.verdict, "proposals": len(weak),
                   "vetoed": sum(veto(p, reports) is not None for p in weak), "sandbox": [], "accepted": 0,
                   "correct": 0}
            if label.verdict != "serial":
                right = proposal(label.file, lines, report, list(label.clauses))
                refused = veto(right, reports)
                row["right_refused"] = refused.text() if refused else ""
            elif lab is not None:
                for p in (p for p in weak if veto(p, reports) is None):
                    if base is None:
                        work, base = baseline(lab, path, cfg)
                    ev = evidence(lab, work, p, cfg, base)
                    row["sandbox"].append(f"`{p.pragma}`: {ev.stage}" + (f" ({ev.error})" if ev.error else ""))
                    row["accepted"] += ev.passed
                    row["correct"] += ev.stage in ("passed", "timing")  # race, output and tests all passed
            rows.append(row)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    return rows, summarize(rows)


def baseline(lab, path: Path, cfg: Config):
    work = Path(tempfile.mkdtemp(prefix="hpcagent-adv-"))
    (work / "orig").mkdir()
    shutil.copy(path, work / "orig" / path.name)
    compiler, flags = ("$CXX", "$CXXFLAGS") if path.suffix != ".c" else ("$CC", "$CFLAGS")
    cfg.build.command = f"{compiler} {flags} {path.name} -o prog $LDFLAGS -lm"
    cfg.run.command = "./prog"
    return work, lab.baseline(work, cfg)


def evidence(lab, work: Path, p: Proposal, cfg: Config, base):
    from hpcagent.agent.run.lab import fresh_copy
    from hpcagent.tools.patch import apply_edits

    apply_edits(fresh_copy(work / "orig", work / "cand"), p.edits)
    return lab.evidence(work, "cand", cfg, base)


def summarize(rows: list[dict]) -> dict:
    serial = [r for r in rows if r["label"] == "serial" and "proposals" in r]
    others = [r for r in rows if r["label"] != "serial" and "proposals" in r]
    return {"serial_loops": len(serial), "serial_proposals": sum(r["proposals"] for r in serial),
            "serial_vetoed": sum(r["vetoed"] for r in serial),
            "serial_to_sandbox": sum(len(r["sandbox"]) for r in serial),
            "accepted_on_dependent": sum(r["accepted"] for r in serial),
            "correct_on_dependent": sum(r["correct"] for r in serial),
            "parallel_loops": len(others), "parallel_right_refused": sum(bool(r["right_refused"]) for r in others),
            "parallel_weak_vetoed": sum(r["vetoed"] for r in others),
            "parallel_weak_proposals": sum(r["proposals"] for r in others)}


def table(rows: list[dict], s: dict, command: str, seconds: float) -> str:
    out = [f"Command: `{command}` ({seconds:.0f} s, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
           f"Corpus: tests/data/loops, {len(rows)} labeled loops; the weak planner's proposals: `parallel for`, then "
           "the same with clauses guessed from the loop's text.", "",
           "| | loops | weak proposals | refused by the veto | sent to the sandbox | passed race, output and tests "
           "| accepted (also faster) |",
           "|---|---|---|---|---|---|---|",
           f"| labeled serial (dependent) | {s['serial_loops']} | {s['serial_proposals']} | {s['serial_vetoed']} | "
           f"{s['serial_to_sandbox']} | {s['correct_on_dependent']} | **{s['accepted_on_dependent']}** |",
           f"| labeled parallel / reduction | {s['parallel_loops']} | {s['parallel_weak_proposals']} | "
           f"{s['parallel_weak_vetoed']} | (not run) | | |", "",
           f"The cost of caution: of the {s['parallel_loops']} loops labeled parallel or reduction, the veto refuses "
           f"the labeled (correct) pragma on {s['parallel_right_refused']}.", "",
           "Serial loops the veto let through, and what the sandbox said:", ""]
    for r in rows:
        if r.get("sandbox"):
            out.append(f"- `{r['loop']}`: " + "; ".join(r["sandbox"]))
    refused = [r for r in rows if r.get("right_refused")]
    if refused:
        out += ["", "Correct pragmas the veto refused:", ""]
        out += [f"- `{r['loop']}`: {r['right_refused']}" for r in refused]
    unanalysed = [r["loop"] for r in rows if r.get("note")]
    if unanalysed:
        out += ["", f"Loops the analysis does not report (not proposed): {', '.join(unanalysed)}"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-sandbox", action="store_true", help="the static veto only")
    parser.add_argument("--results", type=Path, default=Path(__file__).resolve().parent / "adversarial_results.md")
    args = parser.parse_args(argv)
    t0 = time.time()
    rows, s = run(not args.no_sandbox)
    command = "python -m bench.adversarial_bench" + (" --no-sandbox" if args.no_sandbox else "")
    text = table(rows, s, command, time.time() - t0)
    args.results.write_text(text)
    print(text)
    return 1 if s["accepted_on_dependent"] or s["correct_on_dependent"] else 0


if __name__ == "__main__":
    sys.exit(main())
