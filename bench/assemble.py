"""Assemble bench/RESULTS.md from the tables the individual benchmarks wrote (each carries its own command).

Usage: .venv/bin/python bench/assemble.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SECTIONS = [
    ("Kernels: hpcagent against gcc's auto-parallelizer, Polly and hand-written OpenMP (issue 6)",
     "RESULTS_kernels.md"),
    ("Kernels: what the table says", "kernels_analysis.md"),
    ("Locality: textbook dense products on static arrays, against Polly (issue 14)", "locality_results.md"),
    ("Locality: the dense kernels in both forms, Polly on the form it handles (issue 14)", "dense_results.md"),
    ("Examples end to end: `hpcagent optimize` (issues 5, 11, 12)", "examples_results.md"),
    ("Real code: Rodinia OpenMP with its pragmas stripped (issues 13, 17)", "realcode_results.md"),
    ("Race check: `hpcagent check` on the race suite (issues 2, 12)", "race_results.md"),
    ("Adversarial planner: nothing dependent accepted, whoever proposes it (issue 12)", "adversarial_results.md"),
    ("Loop analysis on the labeled corpus, with gcc autopar and Polly side by side (issue 3)", "loops_results.md"),
    ("LLM planner on the labeled corpus (issue 4)", "llm_results.md"),
]
INTRO = """# hpcagent benchmark results

Every figure below comes from a real run on this project's 2-core development machine (noisy: timings are
medians of interleaved repetitions with their min-max spread), and each section names the command that produced
it. `bench/assemble.py` rebuilds this page from the sections' own files; rerun the commands to refresh them.
"""


def main() -> None:
    parts = [INTRO]
    for title, name in SECTIONS:
        path = HERE / name
        body = path.read_text().strip() if path.exists() else "(not run yet)"
        # Demote the section files' own headings one level under ours.
        body = "\n".join("#" + line if line.startswith("#") else line for line in body.splitlines())
        parts.append(f"## {title}\n\nSource: `bench/{name}`\n\n{body}\n")
    (HERE / "RESULTS.md").write_text("\n".join(parts))
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
