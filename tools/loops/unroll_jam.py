"""Unroll-and-jam: the loop just outside the innermost one unrolled UNROLL times, its copies fused in one inner loop.

`for (i) for (j) y[i] += A[i][j] * x[j];` becomes `for (i = LO; i < HI - 3; i += 4) for (j) { y[i] += A[i][j] * x[j];
y[i + 1] += A[i + 1][j] * x[j]; ... }` plus a remainder loop for the last HI - LO mod 4 values of i. Each x[j] is then
loaded once for four rows; in `for (i) for (k) for (j) C[i][j] += A[i][k] * B[k][j]` unrolling k keeps C[i][j] in a
register over four products. It is proposed only when some access of the innermost body stays on its element along
the unrolled loop (the reuse it buys).

Legality, from the band's direction vectors (tools/loops/directions.py): jamming runs iteration (u + c, v) of the
unrolled loop u and the inner loop v before (u + c', v') for every v < v' and c > c', which is what moving u inside v
does. So the rewrite is legal when the order with u moved innermost is legal: every dependence vector, reordered, is
still lexicographically positive. Each statement of one inner iteration keeps its written order per element, so the
output does not change. The rewrite copies the file's own text; the copies substitute `(u + c)` for the index, so a
body that reads differently in the compiler's view (a macro could use the index unseen) is not rewritten, and a bound
of an unsigned type (where `HI - 3` could wrap) is not either. The pragma of the nest's parallel loop is kept.
"""

from __future__ import annotations

import re

from hpcagent.records import Edit, Proposal
from hpcagent.tools.loops.access import Scanner
from hpcagent.tools.loops.cparse import Source, parse, walk
from hpcagent.tools.loops.directions import band_dependences, perfect_band
from hpcagent.tools.loops.interchange import as_written, direction_text, header_span, index_type, moves, written_band
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.proposals import starts_line
from hpcagent.tools.loops.verdict import FileAnalyzer, LoopFacts
from hpcagent.tools.patch import indentation

UNROLL = 4
"""Copies per jammed iteration: four rows share each load of the reused operand; the remainder is at most three."""

UNIT = "    "
UNSIGNED = re.compile(r"\b(unsigned|size_t|uint\w*|bool|_Bool)\b")
SIMPLE = re.compile(r"[A-Za-z_]\w*|\d+")


def _paren(text: str) -> str:
    return text if SIMPLE.fullmatch(text.strip()) else f"({text})"


def _signed_bounds(fa: FileAnalyzer, loop: Loop) -> bool:
    """Every variable of the loop's bounds, and its index, has a declared signed integer type."""
    symbols = fa.symbols(loop)
    names = {loop.index or ""}
    for aff in (loop.lower, loop.upper):
        if aff is None:
            return False
        names |= set(aff.variables())
    for name in names:
        decl = symbols.get(name)
        kind = index_type(fa, loop) if name == loop.index else (decl.type_text if decl is not None else "")
        if not kind or UNSIGNED.search(kind):
            return False
    return True


def _substituted(src: Source, body, index: str, copy: int) -> str | None:
    """The text of body with every use of index replaced by `(index + copy)`; None if body declares the name."""
    text = src.text[body.start_byte: body.end_byte]
    if copy == 0:
        return text.decode()
    spots = []
    for node in walk(body):
        if node.type == "identifier" and src.text_of(node) == index:
            parent = node.parent
            if parent is not None and parent.type in ("init_declarator", "declaration", "parameter_declaration",
                                                      "array_declarator", "pointer_declarator"):
                return None  # a declaration of the same name in the body: not the loop's index
            spots.append((node.start_byte - body.start_byte, node.end_byte - body.start_byte))
    for a, b in reversed(spots):
        text = text[:a] + f"({index} + {copy})".encode() + text[b:]
    return text.decode()


def _jammed(src: Source, band: list[Loop], p: int, unroll: int, heads: tuple[str, str]) -> bytes | None:
    """The text of band[p] (in src) replaced by its unrolled-and-jammed main loop and the remainder loop."""
    target, inner = band[p], band[-1]
    body = inner.body
    if body is None or target.index is None:
        return None
    copies = [_substituted(src, body, target.index, c) for c in range(unroll)]
    if any(c is None for c in copies):
        return None
    main_head, rest_head = heads
    ind = indentation(src.lines, inner.line)
    block = []
    for text in copies:
        lines = text.split("\n")  # type: ignore[union-attr]
        block.append(ind + UNIT + lines[0])
        block += [UNIT + ln if ln.strip() else ln for ln in lines[1:]]
    jammed = (" {\n" + "\n".join(block) + "\n" + ind + "}").encode()
    a, b = header_span(target)
    close = header_span(inner)[1]
    start, end = target.node.start_byte, target.node.end_byte
    main = src.text[start:a] + main_head.encode() + src.text[b:close] + jammed + src.text[body.end_byte:end]
    rest = rest_head.encode() + src.text[b:end]
    ind_p = indentation(src.lines, target.line)
    return main + b"\n" + ind_p.encode() + rest


def _headers(src: Source, fa: FileAnalyzer, target: Loop, written: Loop, unroll: int,
             canonical: bool) -> tuple[str, str] | None:
    """(main loop header, remainder loop header) from the header of the unrolled loop as src writes it (written; the
    index type from the analysis's own loop, target); the main loop's condition is `i < HI - 3` when it must stay
    canonical for OpenMP, else `i + 3 < HI` (no wrap-around)."""
    cond = written.node.child_by_field_name("condition")
    init = written.node.child_by_field_name("initializer")
    update = written.node.child_by_field_name("update")
    if cond is None or init is None or update is None or cond.type != "binary_expression" \
            or not written.bound_nodes or written.index != target.index:
        return None
    left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
    op = src.text_of(cond.child_by_field_name("operator"))
    i = target.index
    if src.text_of(left) != i or op not in ("<", "<="):
        return None
    low, high = src.text_of(written.bound_nodes[0]), src.text_of(right)
    limit = f"{_paren(high)} - {unroll - 1}"
    main_cond = f"{i} {op} {limit}" if canonical else f"{i} + {unroll - 1} {op} {_paren(high)}"
    zero = low.strip() == "0"
    span = (_paren(high) if zero else f"{_paren(high)} - {_paren(low)}") + (" + 1" if op == "<=" else "")
    count = f"{_paren(span)} / {unroll} * {unroll}"
    start = count if zero else f"{_paren(low)} + {count}"
    decl = f"{index_type(fa, target)} " if written.index_declared else ""
    init_text = src.text_of(init).rstrip(";")
    return (f"for ({init_text}; {main_cond}; {i} += {unroll})",
            f"for ({decl}{i} = {start}; {i} {op} {high}; {src.text_of(update)})")


def jam_band(fa: FileAnalyzer, band: list[Loop], text: Source, wband: list[Loop], canonical: bool):
    """band[-2] unrolled UNROLL times and jammed into band[-1]: (the new text of band[0] in fa.src, the same in text
    (the file as written, wband its loops), the accesses reused along the unrolled loop, the band's dependences), or
    None when its dependences are unknown or forbid it, nothing is reused, or the text cannot be rewritten safely.
    canonical: band[0] is the loop the pragma parallelizes, whose condition must stay in OpenMP's canonical form."""
    deps = band_dependences(fa, band)
    if isinstance(deps, str):
        return None
    p = len(band) - 2
    target = band[p]
    moved = (*[k for k in range(len(band)) if k != p], p)
    if not deps.legal_order(moved):
        return None
    mem = [m for m in Scanner(fa.src, fa.by_node).scan(band[-1]).mem if m.subscripts]
    reused = sorted({fa.src.text_of(m.node) for m in mem if not moves(fa.src, m.subscripts, target.index)})
    if not reused:
        return None  # nothing stays put along the unrolled loop: no load or store to save
    trip = target.trip_count()
    if trip is not None and trip < 4 * UNROLL:
        return None
    if not target.index_declared and fa.live_after(target, {target.index}):
        return None  # the index read after the loop: its last value would differ when the loop runs no iteration
    if canonical and p == 0 and not _signed_bounds(fa, target):
        return None
    vbody, wbody = band[-1].body, wband[-1].body

    def tokens(src: Source, node) -> str:
        return "".join(src.text_of(node).split())

    if vbody is None or wbody is None or tokens(fa.src, vbody) != tokens(text, wbody):
        return None  # the body reads differently where macros expand: a copy could miss a use of the index
    new = {}
    for name, src, b in (("view", fa.src, band), ("written", text, wband)):
        heads = _headers(src, fa, band[p], b[p], UNROLL, canonical and p == 0)
        jam = _jammed(src, b, p, UNROLL, heads) if heads is not None else None
        if jam is None:
            return None
        if p > 0 and (b[p - 1].body is None or b[p - 1].body.type != "compound_statement"):
            ind = indentation(src.lines, b[p - 1].line).encode()
            jam = b"{\n" + indentation(src.lines, b[p].line).encode() + jam + b"\n" + ind + b"}"
        new[name] = src.text[b[0].node.start_byte: b[p].node.start_byte] + jam \
            + src.text[b[p].node.end_byte: b[0].node.end_byte]
    return new["view"], new["written"], reused, deps


def jam_reason(band: list[Loop], reused: list[str], deps) -> str:
    target = band[-2]
    return (f"unroll the loop {target.index} {UNROLL} times and jam the copies into the loop {band[-1].index}: "
            f"{', '.join(reused[:3])} stay on their element along {target.index}, so each is loaded once for "
            f"{UNROLL} iterations; legal because moving {target.index} innermost reverses no dependence "
            f"({direction_text(deps)}); a remainder loop runs the last iterations")


def unroll_jam_candidates(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop, file: str,
                          top: Proposal | None) -> list[Proposal]:
    """The nest's plain `parallel for` (top) with the loop just outside the innermost of its perfect band unrolled
    UNROLL times and jammed; [] when the band's dependences are unknown, forbid it, or nothing is reused."""
    if top is None or top.kind != "pragma" or top.line != loop.line or not top.pragma or len(top.edits) != 1:
        return []
    band = perfect_band(fa, loop)
    if len(band) < 2 or not starts_line(fa.src, loop) or any(c.startswith("collapse(") for c in top.clauses):
        return []
    text = as_written(fa.src)
    wband = written_band(text, band)
    if wband is None:
        return []
    jammed = jam_band(fa, band, text, wband, canonical=True)
    if jammed is None:
        return []
    view, written, reused, deps = jammed
    seen = parse(fa.src.text[:loop.node.start_byte] + view + fa.src.text[loop.node.end_byte:], fa.src.lang)
    if not _top_parallel(seen, loop):
        return []
    indent = indentation(text.lines, loop.line)
    pragma = top.pragma
    why = f"{jam_reason(band, reused, deps)}; {pragma} kept on the loop {loop.index}"
    return [Proposal(file, loop.line, loop.end_line, "rewrite", pragma, list(top.clauses),
                     [Edit(file, loop.line, loop.end_line, f"{indent}{pragma}\n{indent}{written.decode()}\n")],
                     top.confidence * 0.8, why, "analysis", locality="unroll-jam")]


def _top_parallel(src: Source, loop: Loop) -> bool:
    """The rewritten nest parses and its top loop is still proven parallel with its new body (the jammed copies)."""
    new_fa = FileAnalyzer(src)
    target = next((lp for lp in new_fa.loops if lp.line == loop.line and lp.depth == loop.depth), None)
    return target is not None and not target.node.has_error and new_fa.analyze(target).parallel


__all__ = ["UNROLL", "jam_band", "jam_reason", "unroll_jam_candidates"]
