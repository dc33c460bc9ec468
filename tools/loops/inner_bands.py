"""Locality rewrites of a band inside a parallel loop's body, under that loop's own pragma.

`for (i) { for (j <= i) C[i][j] *= beta; for (k) for (j <= i) C[i][j] += A[i][k] * A[j][k]; }` (a textbook syrk)
is parallel in i, but the k-j band inside it walks A[j][k] down a column. The band is not the loop's own perfect
band, so tools/loops/interchange.py and unroll_jam.py, which rewrite that one, do not see it. Here each such band
gets, with the outer loop's pragma unchanged:
- its best legal loop order (j, k: every access walks a row), when that walks memory better than the written one;
- then, in that order (or the written one when it is already the best), unroll-and-jam of its loop just outside the
  innermost (four j at once: A[i][k] loaded once for four products, and four sums in flight instead of one).

Legality comes from the band's own direction vectors (tools/loops/directions.py): each iteration of the outer loop
runs the band whole, so what those iterations share is unchanged, and within one the reordering reverses no
dependence. Each element keeps its written order of operations: the output is bit-identical. The rewritten outer
loop is analysed again and must still get the same clauses.
"""

from __future__ import annotations

from hpcagent.records import Edit, Proposal
from hpcagent.tools.loops.cparse import Source, parse
from hpcagent.tools.loops.directions import band_dependences, perfect_band
from hpcagent.tools.loops.interchange import (
    _headers,
    as_written,
    best_order,
    direction_text,
    replace_headers,
    written_band,
)
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.program import Program
from hpcagent.tools.loops.proposals import starts_line
from hpcagent.tools.loops.unroll_jam import jam_band, jam_reason
from hpcagent.tools.loops.verdict import FileAnalyzer, LoopFacts
from hpcagent.tools.patch import indentation


def inner_bands(fa: FileAnalyzer, loop: Loop) -> list[list[Loop]]:
    """The perfect bands (two loops or more) inside loop's body that are not part of loop's own band, each taken
    from its outermost loop (the k-j band of `for i { for j ...; for k for j ... }`)."""
    own = {id(lp) for lp in perfect_band(fa, loop)}
    inside: set[int] = set()
    out = []
    for d in loop.descendants():
        if id(d) in own or id(d) in inside:
            continue
        band = perfect_band(fa, d)
        if len(band) >= 2:
            out.append(band)
            inside.update(id(lp) for lp in band)
    return out


def _at(fa: FileAnalyzer, like: Loop) -> Loop | None:
    return next((lp for lp in fa.loops if lp.line == like.line and lp.depth == like.depth), None)


def _splice(src: Source, node, new: bytes) -> Source:
    return parse(src.text[:node.start_byte] + new + src.text[node.end_byte:], src.lang)


class _Stage:
    """A state of the file: the compiler's view (analysed) and the file as written (copied into the edit), with the
    outer loop and the band found in both. Rewrites keep the line count of the band's headers, so loops are found
    again by line and depth."""

    def __init__(self, view: Source, text: Source, loop: Loop, band: list[Loop], program):
        self.fa = FileAnalyzer(view, program)
        self.text = text
        self.loop = _at(self.fa, loop)
        found = _at(self.fa, band[0])
        self.band = perfect_band(self.fa, found) if found is not None else []
        self.wloop = written_band(text, [self.loop]) if self.loop is not None else None
        self.wband = written_band(text, self.band) if len(self.band) == len(band) else None

    @property
    def ok(self) -> bool:
        return self.loop is not None and self.wloop is not None and self.wband is not None

    def with_band(self, view_band: bytes, written_band_text: bytes) -> tuple[Source, bytes]:
        """The whole view with the band replaced, and the written text of the outer loop with the band replaced."""
        view = _splice(self.fa.src, self.band[0].node, view_band)
        w0, wl = self.wband[0].node, self.wloop[0].node  # type: ignore[index]
        written = self.text.text[wl.start_byte:w0.start_byte] + written_band_text + self.text.text[w0.end_byte:wl.end_byte]
        return view, written


def _program_with(program: Program | None, old: Source, view: Source) -> Program | None:
    """The program with the rewritten view in place of the file's old one (None: the file alone, made lazily)."""
    if program is None or all(src is old for src in program.sources.values()):
        return None
    return Program({name: view if src is old else src for name, src in program.sources.items()})


def _same_clauses(view: Source, loop: Loop, top: Proposal, program) -> bool:
    """The outer loop of the rewritten view is still proven parallel, with the same clauses."""
    again = FileAnalyzer(view, program)
    target = _at(again, loop)
    if target is None or target.node.has_error:
        return False
    facts = again.analyze(target)
    return facts.parallel and list(facts.clauses) == [c for c in top.clauses if not c.startswith("schedule(")]


def inner_band_candidates(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop, file: str,
                          top: Proposal | None) -> list[Proposal]:
    """The parallel loop's own pragma (top) with each band inside its body reordered, and then unrolled and jammed,
    where legal and useful; [] when there is no such band."""
    if top is None or top.kind != "pragma" or top.line != loop.line or not top.pragma or len(top.edits) != 1:
        return []
    if any(c.startswith("collapse(") for c in top.clauses) or not starts_line(fa.src, loop):
        return []
    text = as_written(fa.src)
    indent = indentation(text.lines, loop.line)
    out: list[Proposal] = []

    def proposal(view: Source, written: bytes, reason: str, kind: str, confidence: float) -> None:
        if _same_clauses(view, loop, top, _program_with(fa.program, fa.src, view)):
            edit = Edit(file, loop.line, loop.end_line, f"{indent}{top.pragma}\n{indent}{written.decode()}\n")
            out.append(Proposal(file, loop.line, loop.end_line, "rewrite", top.pragma, list(top.clauses), [edit],
                                confidence, f"{top.pragma} on the loop {loop.index}; inside it, {reason}", "analysis",
                                locality=kind))

    for band in inner_bands(fa, loop):
        deps = band_dependences(fa, band)
        if isinstance(deps, str) or not starts_line(fa.src, band[0]):
            continue
        stage = _Stage(fa.src, text, loop, band, fa.program)
        if not stage.ok:
            continue
        written = tuple(range(len(band)))
        # the written order is always legal here and wins ties, so another order is only ever a cheaper walk
        order = best_order(fa, deps, need_parallel=False)
        why = ""
        if order is not None and order != written:
            outside = {lp.index for lp in band if not lp.index_declared}
            if outside and fa.live_after(band[0], outside):
                continue  # the indices' last values differ when a loop runs no iteration
            names = [band[k].index for k in order]
            why = (f"the loops {', '.join(lp.index for lp in band)} interchanged to the order {', '.join(names)}: the "
                   f"written order walks memory with a stride innermost; legal because every dependence of that "
                   f"band stays lexicographically positive ({direction_text(deps)}), and each iteration of "
                   f"{loop.index} runs the band whole")
            view_band = replace_headers(fa.src, band, _headers(fa.src, band, order))
            text_band = replace_headers(text, stage.wband, _headers(text, stage.wband, order))
            view, whole = stage.with_band(view_band, text_band)
            proposal(view, whole, why, "interchange", 0.65)
            w0 = stage.wband[0].node  # type: ignore[index]
            wtext = text if text is fa.src else _splice(text, w0, text_band)
            stage = _Stage(view, view if text is fa.src else wtext, loop, band, _program_with(fa.program, fa.src, view))
            if not stage.ok:
                continue
        jammed = jam_band(stage.fa, stage.band, stage.text, stage.wband, canonical=False)  # type: ignore[arg-type]
        if jammed is None:
            continue
        view_band, text_band, reused, deps2 = jammed
        view, whole = stage.with_band(view_band, text_band)
        first = f"{why}; then " if why else ""
        proposal(view, whole, first + jam_reason(stage.band, reused, deps2), "unroll-jam", 0.6)
    return out


__all__ = ["inner_band_candidates", "inner_bands"]
