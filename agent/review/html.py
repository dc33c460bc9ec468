"""`hpcagent report RUN --html FILE`: the run as one self-contained HTML page.

No script, font, image or style sheet from elsewhere: the styles are inline, the charts are SVG drawn here, and
every attempt is a <details> element, so the page reads in any browser, offline, and prints (print styles open
every attempt).
"""

from __future__ import annotations

import html
from pathlib import Path

from hpcagent.agent.review.steps import RunView, Section, Step

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #1d1d1f; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #ddd; padding: 4px 8px; text-align: left; }
th { background: #f4f4f6; } code, pre { font: 12px/1.4 ui-monospace, monospace; }
pre { background: #f7f7f9; padding: 8px; overflow-x: auto; border: 1px solid #e4e4e8; white-space: pre-wrap; }
.accepted { color: #17752d; } .failed { color: #b3261e; } .slower { color: #8a6100; } .info { color: #444; }
tr.accepted td:first-child { border-left: 4px solid #2da44e; } tr.failed td:first-child, tr.given_up td:first-child
{ border-left: 4px solid #cf222e; }
details { border: 1px solid #e4e4e8; border-radius: 4px; margin: 6px 0; padding: 4px 8px; }
summary { cursor: pointer; font-weight: 600; } .add { color: #17752d; } .del { color: #b3261e; } .hunk { color: #6639ba; }
.hl { background: #fff3b0; display: inline-block; width: 100%; } .muted { color: #666; font-size: 12px; }
@media print { details { page-break-inside: avoid; } details > * { display: block; } }
"""


def esc(x) -> str:
    return html.escape(str(x), quote=True)


def diff_html(text: str) -> str:
    out = []
    for line in text.splitlines():
        cls = "hunk" if line.startswith("@@") else "add" if line.startswith("+") and not line.startswith("+++") \
            else "del" if line.startswith("-") and not line.startswith("---") else ""
        out.append(f'<span class="{cls}">{esc(line)}</span>' if cls else esc(line))
    return "<pre>" + "\n".join(out) + "</pre>"


def code_html(ctx: dict) -> str:
    rows = []
    for i, line in enumerate(ctx["lines"]):
        n = ctx["start"] + i
        text = f"{n:5d}  {esc(line)}"
        rows.append(f'<span class="hl">{text}</span>' if n == ctx["line"] else text)
    return f'<div class="muted">{esc(ctx["file"])}:{ctx["line"]}</div><pre>' + "\n".join(rows) + "</pre>"


def timing_svg(t: dict, width: int = 520, height: int = 90) -> str:
    """Each run of the original (o) and of the candidate (x) on one time axis, the original's min-max shaded."""
    a, b = t.get("a") or [], t.get("b") or []
    if not a or not b:
        return ""
    lo, hi = min(a + b), max(a + b)
    span = (hi - lo) or 1.0
    left, right = 90, width - 20

    def x(v: float) -> float:
        return left + (v - lo) / span * (right - left)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="timing samples">',
             f'<rect x="{x(min(a)):.1f}" y="8" width="{max(1.0, x(max(a)) - x(min(a))):.1f}" height="{height - 30}" '
             'fill="#e8e8ee"/>',
             '<text x="4" y="28" font-size="12">original</text><text x="4" y="58" font-size="12">candidate</text>']
    for v in a:
        parts.append(f'<circle cx="{x(v):.1f}" cy="24" r="4" fill="none" stroke="#555"/>')
    for v in b:
        parts.append(f'<circle cx="{x(v):.1f}" cy="54" r="4" fill="#0969da"/>')
    parts.append(f'<text x="{left}" y="{height - 4}" font-size="11">{lo:.3f} s</text>'
                 f'<text x="{right - 50}" y="{height - 4}" font-size="11">{hi:.3f} s</text></svg>')
    return "".join(parts) + (f'<div class="muted">speedup {t.get("speedup", 0):.2f}x (min {t.get("speedup_min", 0):.2f}, '
                             f'max {t.get("speedup_max", 0):.2f}), {esc(t.get("verdict", ""))}; '
                             f'{len(a)} runs a side at {t.get("threads", "?")} threads; shaded: the original\'s '
                             f'min-max</div>')


def bars_svg(rows: list[tuple[str, float]], unit: str, width: int = 640, mark: float | None = None) -> str:
    """Horizontal bars, one per row (label, value)."""
    if not rows:
        return ""
    top = max([v for _, v in rows] + [mark or 0]) or 1.0
    bar_h, left = 22, 260
    height = bar_h * len(rows) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, value) in enumerate(rows):
        y = 4 + i * bar_h
        w = (width - left - 70) * value / top
        parts.append(f'<text x="{left - 6}" y="{y + 14}" font-size="12" text-anchor="end">{esc(label[:40])}</text>'
                     f'<rect x="{left}" y="{y + 2}" width="{max(w, 1):.1f}" height="{bar_h - 6}" fill="#0969da"/>'
                     f'<text x="{left + w + 4:.1f}" y="{y + 14}" font-size="12">{value:.2f}{esc(unit)}</text>')
    if mark is not None:
        mx = left + (width - left - 70) * mark / top
        parts.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="0" y2="{height}" stroke="#cf222e" '
                     'stroke-dasharray="4 3"/>')
    return "".join(parts) + "</svg>"


def section_html(s: Section) -> str:
    head = f"<h4>{esc(s.title)}</h4>"
    if s.kind == "diff":
        return head + diff_html(s.body)
    if s.kind == "race":
        parts = [head, f'<div class="muted">{esc(s.body.get("summary", ""))}</div>']
        parts += [code_html(s.body[k]) for k in ("first", "second") if s.body.get(k)]
        return "".join(parts)
    if s.kind == "timing":
        return head + timing_svg(s.body)
    if s.kind == "messages":
        return head + "".join(f"<div class=\"muted\">{esc(m.get('role', '?'))}</div><pre>{esc(m.get('content', ''))}"
                              "</pre>" for m in s.body)
    if s.kind == "profile":
        funcs = sorted(s.body["functions"].items(), key=lambda kv: -kv[1])[:12]
        return head + bars_svg([(n, v * 100) for n, v in funcs], "%")
    return head + f"<pre>{esc(s.body)}</pre>"


def step_html(step: Step) -> str:
    body = "".join(section_html(s) for s in step.sections)
    return (f'<details class="step" data-loop="{esc(step.loop)}" data-attempt="{step.attempt or ""}" '
            f'data-kind="{esc(step.kind)}"><summary class="{esc(step.outcome)}">{esc(step.title)}</summary>{body}'
            "</details>")


def render(run_dir: Path) -> str:
    """The whole page for one run folder."""
    view = RunView(run_dir)
    summary = view.summary() or {}
    loops = summary.get("loops", [])
    whole = summary.get("whole_program") or {}
    title = f"hpcagent report: {view.meta.get('run_id', view.dir.name)}"
    head = [f"<h1>{esc(title)}</h1>", f"<p>{esc(view.meta.get('repo', ''))} · configuration from "
                                      f"{esc(view.meta.get('config_origin', '?'))}</p>"]
    if not summary:
        head.append('<p class="failed"><b>The run has not finished</b>: what it has done so far is below.</p>')
    elif summary.get("accepted"):
        head.append(f'<p class="accepted"><b>{summary["accepted"]} change(s) accepted.</b> Whole program at '
                    f'{whole.get("threads")} threads: <b>{whole.get("speedup", 0):.2f}x</b> (min {whole.get("min", 0):.2f},'
                    f' max {whole.get("max", 0):.2f}; median {whole.get("median_serial", 0):.3f} s -> '
                    f'{whole.get("median_parallel", 0):.3f} s).</p>')
    else:
        head.append('<p class="failed"><b>No change accepted.</b> The reasons are below.</p>')
    table = ['<h2>Loops</h2><table id="loops"><tr><th>loop</th><th>function</th><th>share of time</th>'
             '<th>status</th><th>speedup (min-max)</th><th>attempts</th><th>change</th></tr>']
    for lp in loops:
        share = f"{lp['share'] * 100:.1f}%" if lp.get("share") is not None else "n/a"
        sp = f"{lp['speedup']:.2f}x ({lp['speedup_min']:.2f}-{lp['speedup_max']:.2f})" if lp.get("speedup") else "-"
        status = lp["status"] + (" (unproven)" if lp.get("proof") == "unproven" else "")
        table.append(f'<tr class="loop {esc(lp["status"])}" data-loop="{esc(lp["loop"])}"><td><code>'
                     f'{esc(lp["loop"])}</code></td><td>{esc(lp.get("function", ""))}</td><td>{share}</td>'
                     f'<td>{esc(status)}</td><td>{sp}</td><td>{lp.get("attempts", 0)}</td>'
                     f'<td><code>{esc(lp.get("change") or "")}</code><div class="muted">{esc(lp.get("reason", ""))}'
                     "</div></td></tr>")
    table.append("</table>")
    charts = ["<h2>Speedups</h2>"]
    speed_rows = [(lp["loop"], lp["speedup"]) for lp in loops if lp.get("speedup")]
    if whole.get("speedup") and summary.get("accepted"):
        speed_rows.append(("whole program", whole["speedup"]))
    charts.append(bars_svg(speed_rows, "x", mark=1.0) if speed_rows else "<p>No change was faster.</p>")
    targets = next((e for e in view.events if e.get("kind") == "targets"), None)
    prof = (targets or {}).get("profile") or {}
    charts.append("<h2>Profile</h2>")
    if prof.get("functions"):
        funcs = sorted(prof["functions"].items(), key=lambda kv: -kv[1])[:12]
        charts.append(f'<p class="muted">{prof.get("samples", 0)} call stacks sampled; share of the samples per '
                      "function (inclusive)</p>" + bars_svg([(n, v * 100) for n, v in funcs], "%"))
    else:
        charts.append(f"<p>No profile: {esc(prof.get('error', 'none recorded'))}</p>")
    steps = ['<h2>Every step</h2><p class="muted">Each attempt\'s proposal, diff, evidence and verdict; click to '
             "open.</p>"]
    by_loop: dict[str, list[Step]] = {}
    for step in view.steps:
        by_loop.setdefault(step.loop or "(run)", []).append(step)
    for loop, items in by_loop.items():
        steps.append(f'<h3 id="loop-{esc(loop)}">{esc(loop)}</h3>' + "".join(step_html(s) for s in items))
    patch = view.dir / "patch.diff"
    tail = ["<h2>Patch</h2>", diff_html(patch.read_text()) if patch.exists() and patch.read_text().strip()
            else "<p>(empty)</p>"]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            + "".join(head + table + charts + steps + tail) + "</body></html>")


def write_html(run_dir: Path, out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(run_dir))
    return out
