"""The kernel benchmark's products: results JSON, the Markdown table and a PNG bar chart."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from bench.variants import RACE_NA

POLICY = ("Geometric means are taken over the kernels where the variant has a speedup: wrong output, a race, a "
          "build, run or timing failure excludes the kernel from that column (the excluded kernels are listed "
          "below the table) instead of counting it as 1.0. hpcagent with no accepted change, and a reference "
          "with no OpenMP directive (a kernel whose loop must stay serial), is the serial program and counts as "
          "1.0 by definition.")


def machine() -> dict:
    """Where the numbers came from: uname -a, usable CPUs, CPU model, date."""
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False).stdout.strip()
    model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                  if ln.startswith("model name")), platform.processor() or "unknown")
    return {"uname": uname, "nproc": len(os.sched_getaffinity(0)), "cpu": model,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def geomean(values: list[float]) -> float | None:
    """Geometric mean (None for no values)."""
    return round(math.exp(sum(math.log(v) for v in values) / len(values)), 3) if values else None


def summarize(kernels: dict, variants: list[str]) -> tuple[dict, dict]:
    """Per-variant geometric mean and the kernels excluded from it."""
    means, excluded = {}, {}
    for v in variants:
        cells = [(k, r[v]) for k, r in kernels.items() if v in r]
        means[v] = geomean([c["speedup"] for _, c in cells if c.get("speedup")])
        excluded[v] = [k for k, c in cells if not c.get("speedup")]
    return means, excluded


def write_json(path: Path, mach: dict, command: str, means: dict, kernels: dict, by_form: dict | None = None) -> None:
    """results.json: {machine, command, geomean, kernels, polly_by_form}."""
    path.write_text(json.dumps({"machine": mach, "command": command, "geomean": means, "kernels": kernels,
                                "polly_by_form": by_form}, indent=1) + "\n")


POLLY = ("polly", "polly-par")


def polly_by_form(kernels: dict, static_forms: dict[str, str]) -> dict | None:
    """Polly's figure per computation taken from the form it handles (issue 14, item 4).

    A computation is a row that is not the static-array twin of another row. Its Polly figure is the best speedup of
    any Polly column on the row itself and on its static twin (`static_forms`: pointer row -> static row), whether or
    not that binary called the OpenMP runtime, so Polly is never taken at its weakest. hpcagent and the reference
    keep their figure on the row's own form, the code as written.
    Returns the per-computation choices and the geometric means, or None when no Polly column ran."""
    twins = {s for p, s in static_forms.items() if p in kernels}
    rows, picks = [], {"hpcagent": [], "reference": [], "polly": []}
    for name, rec in kernels.items():
        if name in twins:
            continue
        forms = [name, *([static_forms[name]] if static_forms.get(name) in kernels else [])]
        cands = [(kernels[f][v]["speedup"], f, v, kernels[f][v].get("parallel_code"))
                 for f in forms for v in POLLY if (kernels[f].get(v) or {}).get("speedup")]
        if not cands:
            continue
        best = max(cands)
        mine, ref = (rec.get("hpcagent") or {}).get("speedup"), (rec.get("reference") or {}).get("speedup")
        rows.append({"computation": name, "polly": best[0], "polly_from": f"{best[2]} on {best[1]}",
                     "polly_parallel": best[3] is not False, "hpcagent": mine, "reference": ref})
        for key, val in (("polly", best[0]), ("hpcagent", mine), ("reference", ref)):
            if val:
                picks[key].append(val)
    if not rows:
        return None
    return {"rows": rows, "geomean": {k: geomean(v) for k, v in picks.items()}}


def _x(value: float | None) -> str:
    return f"{value:.2f}x" if value else "-"


def by_form_markdown(by_form: dict | None) -> list[str]:
    """The section under the main table: Polly taken from the form it handles, one row per computation."""
    if not by_form:
        return []
    g = by_form["geomean"]
    lines = ["## Polly on the form it handles", "",
             ("One row per computation (the static-array twins folded into their pointer-form rows). Polly's figure "
              "is its best over its columns and over both forms; hpcagent and the reference keep their figure on the "
              "row's own form, the code as written. ° marks a Polly figure whose binary made no OpenMP call."), "",
             "| computation | polly (best form) | taken from | reference | hpcagent |", "|---|---|---|---|---|"]
    for r in by_form["rows"]:
        lines.append(f"| {r['computation']} | {_x(r['polly'])}{'' if r['polly_parallel'] else ' °'} | "
                     f"{r['polly_from']} | {_x(r['reference'])} | {_x(r['hpcagent'])} |")
    lines.append(f"| **geomean** | **{_x(g['polly'])}** | | **{_x(g['reference'])}** | **{_x(g['hpcagent'])}** |")
    serial = [r["computation"] for r in by_form["rows"] if not r["polly_parallel"]]
    lines += ["", (f"Polly's chosen figure came from a serial binary (°) on: {', '.join(serial)}." if serial else
                   "Every chosen Polly figure came from a binary that called the OpenMP runtime."), ""]
    return lines


def cell(rec: dict) -> str:
    """One table cell: speedup with its min-max, or the reason it has none."""
    if rec.get("speedup") is None:
        return (rec.get("reason") or "no result").replace("|", "/")[:90]
    if rec.get("accepted") == 0:
        return "1.00x (no change)"
    text = f"{rec['speedup']:.3f}x (one run) †" if rec.get("timing") else \
        f"{rec['speedup']:.2f}x ({rec['min']:.2f}-{rec['max']:.2f})"
    if rec.get("parallel_code") is False:
        text += " °"
    return text


def markdown(mach: dict, command: str, kernels: dict, variants: list[str], means: dict, excluded: dict,
             threads: int, reps: int, png: str, pending: list[str] | None = None,
             by_form: dict | None = None) -> str:
    """The RESULTS page: machine, command, one row per kernel, geometric means, exclusions, notes."""
    shown = [v for v in variants if v != "serial"]
    agents = [v for v in shown if v.startswith("hpcagent")]
    head = ["kernel", "serial s", *shown, *(f"{a} agent s" for a in agents), "notes"]
    lines = ["# Loop kernels: hpcagent against the auto-parallelizers", "",
             "Generated by `bench/run.py`; do not edit by hand.", "",
             *([f"**Incomplete**: not yet run (or the run stopped): {', '.join(pending)}.", ""] if pending else []),
             f"- command: `{command}`", f"- date: {mach['date']}", f"- machine: `{mach['uname']}`",
             f"- CPUs usable: {mach['nproc']}; CPU: {mach['cpu']}",
             (f"- each cell: median speedup over serial `gcc -O3` at {threads} threads, {reps} interleaved runs "
              "each (ABBA order after a warm-up), with the min-max of the pairwise ratios"), "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, rec in kernels.items():
        serial = rec["serial"].get("median_seconds")
        row = [name, f"{serial:.3f}" if serial else "-", *(cell(rec[v]) if v in rec else "-" for v in shown),
               *(f"{rec[a].get('agent_seconds', 0):.0f}" if a in rec else "-" for a in agents),
               "; ".join((f"{a}: " if len(agents) > 1 else "") + rec[a]["note"] for a in agents
                         if rec.get(a, {}).get("note")).replace("|", "/")]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("| **geomean** | | " + " | ".join(f"**{means[v]:.2f}x**" if means.get(v) else "-" for v in shown)
                 + " |" + " |" * (len(agents) + 1))
    lines += ["", POLICY, ""]
    for v in shown:
        if excluded.get(v):
            lines.append(f"- excluded from {v}: " + ", ".join(excluded[v]))
    lines += ["", ("° the compiler emitted no OpenMP runtime call (`GOMP_parallel*`) in the binary: the program "
                   "ran serially."),
              "† over 10x slower than serial in its checking run: the speedup of that one run, not timed again.", "",
              "**Correctness**: every variant's output is compared with serial's (relative tolerance 1e-6).", "",
              "**Races**: reference and hpcagent are built with `clang-16 -fopenmp -fsanitize=thread -g -O1` at the "
              "kernel's small size and run at 2 and 4 threads under Archer. The race check is n/a for compiler-made "
              "parallelism: " + RACE_NA, "", "Evidence per variant (output check, race check):", "",
              *evidence(kernels, shown), "", *by_form_markdown(by_form),
              f"![speedups]({png})", ""]
    return "\n".join(lines)


def evidence(kernels: dict, shown: list[str]) -> list[str]:
    """A second table: per kernel and variant, whether the output matched and what the race check said."""
    def word(rec: dict | None) -> str:
        if not rec or rec.get("correct") is None:
            return "-"
        out = "output ok" if rec["correct"] else "WRONG output"
        race = {True: "RACE", False: "race-free"}.get(rec.get("race"), rec.get("race_check", "race unchecked"))
        return f"{out}, {race}"

    lines = ["| kernel | " + " | ".join(shown) + " |", "|" + "---|" * (len(shown) + 1)]
    return lines + [f"| {k} | " + " | ".join(word(r.get(v)) for v in shown) + " |" for k, r in kernels.items()]


def plot(path: Path, kernels: dict, variants: list[str], means: dict, threads: int) -> None:
    """Grouped bars per kernel (plus the geometric means); a cross marks a variant with no speedup."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [v for v in variants if v != "serial"]
    names = [*kernels, "geomean"]
    width = 0.8 / max(1, len(shown))
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(names) + 2), 4.5))
    for i, v in enumerate(shown):
        xs = [j + (i - (len(shown) - 1) / 2) * width for j in range(len(names))]
        vals = [(kernels[k].get(v) or {}).get("speedup") for k in kernels] + [means.get(v)]
        ax.bar([x for x, s in zip(xs, vals) if s], [s for s in vals if s], width, label=v, color=f"C{i}")
        bad = [x for x, s, k in zip(xs, vals, names) if not s and (k == "geomean" or v in kernels[k])]
        ax.plot(bad, [0.05] * len(bad), "x", color=f"C{i}", markersize=7)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_ylabel(f"speedup over serial gcc -O3 ({threads} threads)")
    ax.set_title("Loop kernels: median speedup (x = wrong, racy or failed)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
