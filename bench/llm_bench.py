"""Pragma accuracy of the analysis planner and of the LLM planner on the labeled loop corpus.

Usage:
  .venv/bin/python bench/llm_bench.py [--limit N] [--out bench/llm_results.md]        # smollm2 on the CPU
  OPENAI_BASE_URL=http://127.0.0.1:8000/v1 .venv/bin/python bench/llm_bench.py --model openai:MODEL
  .venv/bin/python bench/llm_bench.py --model scripted:answers.jsonl --limit 3       # replay answers
Labels: tests/data/loops/labels.json(l) entries {"file", "line", "pragma" (null = serial)}, or a comment
`// expect: #pragma omp ...` / `// expect: serial` on the loop's line or the line above it.
A pragma is right when it agrees on parallel vs serial, has the same reductions, and privatises every
variable the label privatises. smollm2 takes ~16 s to load and a few seconds per answer on two cores.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "loops"
PREFILLS = {"none": "", "action": '{"action": "', "pragma": '{"action": "pragma", "line": {line}, "pragma": "#pragma omp'}
_EXPECT = re.compile(r"//\s*expect:\s*(.+?)\s*$")


@dataclass
class Label:
    """One loop of the corpus and the pragma it should get (None: leave it serial)."""

    file: str
    line: int
    pragma: str | None


def load_corpus(root: Path) -> list[Label]:
    """Read the labels: from labels.json / labels.jsonl when present, else from `// expect:` comments."""
    for name in ("labels.json", "labels.jsonl"):
        path = root / name
        if path.is_file():
            text = path.read_text()
            entries = json.loads(text) if name.endswith(".json") else \
                [json.loads(line) for line in text.splitlines() if line.strip()]
            if isinstance(entries, dict):  # {"file.c:12": "#pragma ..."} also reads naturally
                entries = [{"file": k.rsplit(":", 1)[0], "line": int(k.rsplit(":", 1)[1]), "pragma": v}
                           for k, v in entries.items()]
            return [Label(e["file"], int(e["line"]), e.get("pragma", e.get("expected"))) for e in entries]
    labels = []
    for path in sorted([*root.rglob("*.c"), *root.rglob("*.cpp")]):
        lines = path.read_text().splitlines()
        for number, text in enumerate(lines, 1):
            found = _EXPECT.search(text)
            if not found:
                continue
            # The comment names the loop on its own line, or the next line when it stands alone.
            line = number if re.search(r"\b(for|while|do)\b", text.split("//")[0]) else number + 1
            expected = found.group(1)
            labels.append(Label(str(path.relative_to(root)), line, None if expected == "serial" else expected))
    return labels


def clause_sets(pragma: str | None) -> tuple[bool, set[str], set[str]]:
    """(parallel?, reductions as 'op:var', privatised variables) of a pragma."""
    if not pragma or "omp" not in pragma:
        return False, set(), set()
    reductions, private = set(), set()
    for name, args in re.findall(r"(\w+)\s*\(([^()]*)\)", pragma):
        if name == "reduction" and ":" in args:
            op, names = args.split(":", 1)
            reductions |= {f"{op.strip()}:{v.strip()}" for v in names.split(",")}
        elif name in ("private", "firstprivate", "lastprivate"):
            private |= {v.strip() for v in args.split(",")}
    return True, reductions, private


def pragma_matches(expected: str | None, got: str | None) -> bool:
    """Right when parallel-ness and reductions agree and the label's private variables are privatised."""
    want, got_sets = clause_sets(expected), clause_sets(got)
    if want[0] != got_sets[0]:
        return False
    return want[1] == got_sets[1] and want[2] <= got_sets[2]


def loop_end(path: Path, line: int) -> tuple[int, str]:
    """The last line of the loop starting on line, and its function's name (tree-sitter)."""
    import tree_sitter
    import tree_sitter_c
    import tree_sitter_cpp

    from hpcagent.tools.sources import C_SOURCES

    grammar = tree_sitter_c if path.suffix in C_SOURCES else tree_sitter_cpp  # a header is parsed as C++ here
    tree = tree_sitter.Parser(tree_sitter.Language(grammar.language())).parse(path.read_bytes())
    end, function, stack = line, "", [tree.root_node]
    while stack:
        node = stack.pop()
        if not node.start_point[0] + 1 <= line <= node.end_point[0] + 1:
            continue
        if node.type == "function_definition":
            declarator = node.child_by_field_name("declarator")
            while declarator is not None and declarator.child_by_field_name("declarator") is not None:
                declarator = declarator.child_by_field_name("declarator")
            function = declarator.text.decode() if declarator is not None else ""
        if node.type in ("for_statement", "while_statement", "do_statement") and node.start_point[0] + 1 == line:
            end = node.end_point[0] + 1
        stack.extend(node.children)
    return end, function


def analysis_reports(path: Path, root: Path) -> dict[int, Any] | None:
    """Line -> LoopReport from hpcagent.tools.loops.analysis; None when the analysis is not installed."""
    try:
        from hpcagent.tools.loops.analysis import analyze_file
    except ImportError:
        return None
    return {report.line: report for report in analyze_file(path, root)}


def run(labels: list[Label], root: Path, model: Any, prefill: str = "", max_attempts: int = 2,
        blind: bool = False, analysis: Callable[[Path, Path], dict | None] = analysis_reports) -> dict:
    """Run both planners over the labels; return per-loop rows and totals."""
    from hpcagent.agent.planners.llm import LLMPlanner
    from hpcagent.agent.protocols import PlanContext
    from hpcagent.records import LoopTarget, loop_id

    planner = LLMPlanner(model, fallback=None, max_attempts=max_attempts, prefill=prefill)
    rows, cache = [], {}
    for label in labels:
        path = root / label.file
        if label.file not in cache:
            cache[label.file] = analysis(path, root)
        reports = cache[label.file]
        report = (reports or {}).get(label.line)
        ana_pragma = report.pragma if report else None
        end, function = loop_end(path, label.line)
        target = LoopTarget(file=label.file, line=label.line, end_line=end, function=function)
        extra: dict[str, Any] = {}
        if report is not None and not blind:  # what the optimize run shows the model (runner.analysis_context)
            extra = {"facts": report.facts_text(),
                     "analysis_candidate": report.candidates[0] if report.candidates else None}
        before = planner.usage.to_dict()
        start = time.monotonic()
        proposal = planner.propose(target, PlanContext(root=root, extra=extra), [])
        after = planner.usage.to_dict()
        rows.append({
            "loop": loop_id(label.file, label.line), "expected": label.pragma,
            "analysis": ana_pragma if reports is not None else "n/a",
            "analysis_ok": pragma_matches(label.pragma, ana_pragma) if reports is not None else None,
            "llm": proposal.pragma if proposal else None,
            "llm_ok": pragma_matches(label.pragma, proposal.pragma if proposal else None),
            "tokens": after["tokens_in"] + after["tokens_out"] - before["tokens_in"] - before["tokens_out"],
            "calls": after["calls"] - before["calls"], "seconds": round(time.monotonic() - start, 2)})
    judged = [r for r in rows if r["analysis_ok"] is not None]
    count = len(rows) or 1
    return {"rows": rows, "model": getattr(model, "name", "?"), "loops": len(rows),
            "llm_accuracy": sum(r["llm_ok"] for r in rows) / count,
            "analysis_accuracy": sum(r["analysis_ok"] for r in judged) / len(judged) if judged else None,
            "tokens_per_loop": sum(r["tokens"] for r in rows) / count,
            "seconds_per_loop": sum(r["seconds"] for r in rows) / count}


def markdown(result: dict) -> str:
    """The result as a Markdown table with a summary line."""
    acc = result["analysis_accuracy"]
    head = (f"# LLM planner benchmark ({result['model']}, {result['loops']} loops)\n\n"
            f"analysis accuracy: {'n/a' if acc is None else f'{acc:.0%}'}; llm accuracy: "
            f"{result['llm_accuracy']:.0%}; {result['tokens_per_loop']:.0f} tokens and "
            f"{result['seconds_per_loop']:.1f} s per loop\n\n"
            "| loop | expected | analysis | ok | llm | ok | tokens | s |\n|---|---|---|---|---|---|---|---|\n")
    mark = {True: "yes", False: "no", None: "-"}
    body = "".join(f"| {r['loop']} | {r['expected'] or 'serial'} | {r['analysis'] or 'serial'} | "
                   f"{mark[r['analysis_ok']]} | {r['llm'] or '-'} | {mark[r['llm_ok']]} | {r['tokens']} | "
                   f"{r['seconds']} |\n" for r in result["rows"])
    return head + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2", help="smollm2 | transformers:PATH | openai:MODEL | scripted:FILE")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--limit", type=int, default=0, help="only the first N loops (0: all)")
    parser.add_argument("--attempts", type=int, default=2, help="answers asked per loop before giving up")
    parser.add_argument("--prefill", choices=sorted(PREFILLS), default=None,
                        help="answer prefix (default: pragma for local models, none for openai and scripted)")
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--blind", action="store_true", help="do not show the analysis facts to the model")
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown table here (and .json beside)")
    args = parser.parse_args(argv)

    from hpcagent.agent.models.registry import load_model

    labels = load_corpus(args.corpus)
    if not labels:
        print(f"no labeled loops under {args.corpus}", file=sys.stderr)
        return 2
    labels = labels[: args.limit] if args.limit else labels
    local = args.model == "smollm2" or args.model.startswith("transformers:")
    prefill = PREFILLS[args.prefill or ("pragma" if local else "none")]
    config = {"max_new_tokens": args.max_new_tokens, "stop_strings": ["}"] if prefill == PREFILLS["pragma"] else []}
    model = load_model(args.model, **config)
    load_seconds = 0.0
    if local:  # load the weights before the clock starts, so seconds per loop are answer times
        start = time.monotonic()
        model.complete([{"role": "user", "content": "Say OK."}], max_tokens=1)
        load_seconds = round(time.monotonic() - start, 1)
    result = {**run(labels, args.corpus, model, prefill, args.attempts, args.blind), "load_seconds": load_seconds}
    table = markdown(result)
    print(table)
    if args.out:
        args.out.write_text(table)
        args.out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
