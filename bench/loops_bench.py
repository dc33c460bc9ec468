"""Score the loop analysis on the labeled corpus (tests/data/loops) and compare with gcc autopar and Polly."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "loops"
EXPECT = re.compile(r"/\*\s*expect:\s*(parallel|reduction|serial)\b(.*?)\*/")
PARALLEL = ("parallel", "reduction")


@dataclass
class Label:
    """The ground truth of one corpus loop: the loop starts on the line after its annotation."""

    file: str
    line: int
    verdict: str
    clauses: list[str]


def normalize(clauses: list[str] | str) -> list[str]:
    """Split 'private(a,b)' into one clause per name; write '-' reductions as '+' (OpenMP treats them alike)."""
    text = " ".join(clauses) if isinstance(clauses, list) else clauses
    out = []
    for kind, args in re.findall(r"(\w+)\s*\(([^)]*)\)", text):
        if kind not in ("private", "firstprivate", "lastprivate", "reduction"):
            continue
        if kind == "reduction":
            op, _, names = args.partition(":")
            op = "+" if op.strip() == "-" else op.strip()
            out += [f"reduction({op}:{n.strip()})" for n in names.split(",")]
        else:
            out += [f"{kind}({n.strip()})" for n in args.split(",")]
    return sorted(out)


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix in (".c", ".cpp"))


def labels(path: Path) -> list[Label]:
    out = []
    for number, text in enumerate(path.read_text().split("\n"), start=1):
        m = EXPECT.search(text)
        if m:
            out.append(Label(path.name, number + 1, m.group(1), normalize(m.group(2))))
    return out


def labels_json() -> list[dict]:
    """The annotations as labels.json entries {file, line, verdict, pragma (None unless parallelizable)}."""
    out = []
    for path in corpus_files():
        for lab in labels(path):
            pragma = " ".join(["#pragma omp parallel for", *lab.clauses]) if lab.verdict in PARALLEL else None
            out.append({"file": lab.file, "line": lab.line, "verdict": lab.verdict, "pragma": pragma})
    return out


def score_rows(results: dict[str, list[tuple[Label, str, list[str] | None]]]) -> list[dict]:
    """Per group: parallel-or-reduction precision/recall and exact clauses among proposals."""
    rows = []
    for group, items in results.items():
        truth = [lab.verdict in PARALLEL for lab, _, _ in items]
        said = [verdict in PARALLEL for _, verdict, _ in items]
        tp = sum(t and s for t, s in zip(truth, said))
        fp = sum(s and not t for t, s in zip(truth, said))
        fn = sum(t and not s for t, s in zip(truth, said))
        proposals = [(lab, cl) for lab, _, cl in items if cl is not None and lab.verdict in PARALLEL]
        exact = sum(normalize(cl) == lab.clauses for lab, cl in proposals)
        rows.append({"group": group, "loops": len(items), "parallelizable": sum(truth), "tp": tp, "fp": fp,
                     "fn": fn, "precision": tp / (tp + fp) if tp + fp else 1.0,
                     "recall": tp / (tp + fn) if tp + fn else 1.0, "proposals": len(proposals),
                     "clauses_exact": exact / len(proposals) if proposals else 1.0})
    return rows


def run_analysis() -> dict[str, list[tuple[Label, str, list[str] | None]]]:
    from hpcagent.tools.loops.analysis import analyze_file

    results: dict[str, list] = {}
    for path in corpus_files():
        reports = {}
        for rep in analyze_file(path, CORPUS):
            reports.setdefault(rep.line, rep)
        for lab in labels(path):
            rep = reports.get(lab.line)
            verdict = rep.verdict if rep else "missing"
            clauses = rep.clauses if rep and verdict in PARALLEL else None
            for group in (path.stem, f"class {lab.verdict}", "all"):
                results.setdefault(group, []).append((lab, verdict, clauses))
    return results


def gcc_lines(path: Path) -> set[int]:
    """Lines gcc's auto-parallelizer reports as parallelized loops."""
    compiler = "g++" if path.suffix == ".cpp" else "gcc"
    proc = subprocess.run([compiler, "-O2", "-ftree-parallelize-loops=2", "-fopt-info-loop-optimized", "-c",
                           str(path), "-o", "/dev/null"], capture_output=True, text=True, timeout=120, check=False)
    return {int(m.group(1)) for m in re.finditer(rf"{re.escape(path.name)}:(\d+):\d+: optimized: "
                                                  r"parallelizing (?:outer|inner) loop", proc.stderr)}


def polly_bodies(path: Path) -> list[set[int]]:
    """Source lines of each loop Polly outlined into an OpenMP subfunction (from its debug locations)."""
    compiler = "clang++-16" if path.suffix == ".cpp" else "clang-16"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "x.ll"
        subprocess.run([compiler, "-O3", "-g", "-mllvm", "-polly", "-mllvm", "-polly-parallel", "-mllvm",
                        "-polly-process-unprofitable", "-fopenmp", "-S", "-emit-llvm", str(path), "-o", str(out)],
                       capture_output=True, text=True, timeout=120, check=False)
        ir = out.read_text() if out.exists() else ""
    locs = {m.group(1): int(m.group(2)) for m in re.finditer(r"^!(\d+) = !DILocation\(line: (\d+)", ir, re.MULTILINE)}
    bodies = []
    for m in re.finditer(r"define internal void @\w+_polly_subfn\S*\(.*?\n}\n", ir, re.DOTALL):
        lines = {locs[d] for d in re.findall(r"!dbg !(\d+)", m.group(0)) if d in locs} - {0}
        if lines:
            bodies.append(lines)
    return bodies


def peers() -> dict[str, tuple[int, int, int]]:
    """(parallelizable loops found, non-parallelizable loops claimed, total parallelizable) for gcc and Polly."""
    from hpcagent.tools.loops.analysis import analyze_file

    found = {"gcc autopar": [0, 0, 0], "Polly": [0, 0, 0]}
    for path in corpus_files():
        labs = {lab.line: lab for lab in labels(path)}
        spans = {r.line: r.end_line for r in analyze_file(path, CORPUS)}
        total = sum(lab.verdict in PARALLEL for lab in labs.values())
        gl = gcc_lines(path)
        polly_loops = set()
        for body in polly_bodies(path):
            # Polly outlines the outermost parallel loop it finds; credit the outermost labeled loop covering it
            covering = sorted(ln for ln in labs if ln <= min(body) and max(body) <= spans.get(ln, 0))
            good = [ln for ln in covering if labs[ln].verdict in PARALLEL]
            polly_loops.add(good[0] if good else (covering[-1] if covering else -1))
        for name, lines in (("gcc autopar", gl), ("Polly", polly_loops)):
            hits = [labs[ln] for ln in lines if ln in labs]
            found[name][0] += sum(lab.verdict in PARALLEL for lab in hits)
            found[name][1] += sum(lab.verdict not in PARALLEL for lab in hits)
            found[name][2] += total
    return {k: tuple(v) for k, v in found.items()}


def markdown(rows: list[dict], peer: dict[str, tuple[int, int, int]] | None) -> str:
    out = ["# Loop analysis on the labeled corpus (tests/data/loops)", "",
           "| group | loops | parallelizable | TP | FP | FN | precision | recall | proposals | clauses exact |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['group']} | {r['loops']} | {r['parallelizable']} | {r['tp']} | {r['fp']} | {r['fn']} | "
                   f"{r['precision']:.0%} | {r['recall']:.0%} | {r['proposals']} | {r['clauses_exact']:.0%} |")
    if peer:
        note = ("Peers on the same loops (their own reports; gcc -O2 -ftree-parallelize-loops=2; clang-16 -O3 "
                "Polly -polly-parallel -polly-process-unprofitable, read from its outlined OpenMP subfunctions "
                "and credited to the outermost parallelizable labeled loop around them). Labels are about a "
                "`parallel for` on the loop as written, so a compiler parallelizing a while loop with "
                "independent iterations shows up as a claimed non-parallelizable loop.")
        out += ["", note, "",
                "| tool | parallelizable loops parallelized | non-parallelizable loops claimed |", "|---|---|---|"]
        for name, (hits, wrong, total) in peer.items():
            out.append(f"| {name} | {hits}/{total} ({hits / total:.0%}) | {wrong} |")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    if "--write-labels" in argv:  # regenerate tests/data/loops/labels.json from the annotations
        (CORPUS / "labels.json").write_text(json.dumps(labels_json(), indent=1) + "\n")
        return 0
    results = run_analysis()
    order = sorted(results, key=lambda g: (g == "all", g.startswith("class"), g))
    rows = score_rows({g: results[g] for g in order})
    peer = None if "--no-peers" in argv else peers()
    text = markdown(rows, peer)
    print(text)
    if "--save" in argv:
        (Path(__file__).parent / "loops_results.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
