"""Locality rewrites of a perfect loop nest: a better loop order (any legal permutation) and rectangular tiling.

Both are derived from the band's direction vectors (tools/loops/directions.py) and checked by the sandbox like any
other change. The order is chosen for the memory walk: the innermost loop should move every access by at most one
element per step; among the legal orders with a parallel outermost loop, the one with the fewest strided accesses
innermost (then next-innermost) wins, and it is proposed only when it beats the written order. Tiling is proposed
for a fully permutable band whose data is reused across a loop that is not innermost (an access that does not move
with that loop, as B[k][j] in i of a matrix product) or that still walks memory with a stride: tile loops outside,
point loops inside in the chosen order, the outermost tile loop parallel. The tile size is found by the sandbox: one
candidate per size in TILE_SIZES; the first size is tried before the plain loop order, the others after it, until
one size does not beat the one before (budget.locality, agent/run/nodes.py).
"""

from __future__ import annotations

import itertools

from hpcagent.records import Edit, Proposal
from hpcagent.tools.loops.access import Scanner
from hpcagent.tools.loops.affine import to_affine
from hpcagent.tools.loops.cparse import Source, parse, walk
from hpcagent.tools.loops.directions import BandDeps, band_dependences, perfect_band
from hpcagent.tools.loops.nests import Loop, find_loops
from hpcagent.tools.loops.proposals import pragma_text, starts_line
from hpcagent.tools.loops.verdict import FileAnalyzer, LoopFacts
from hpcagent.tools.patch import indentation

TILE_SIZES = (64, 32, 128)
"""Tried in this order: 64 doubles per side keeps three tiles of a product in a 256 KiB L2."""


def strided(src: Source, subscripts: list, var: str) -> bool:
    """True if var moves this access by more than one element per step."""
    affs = [to_affine(src, s) for s in subscripts]
    for k, aff in enumerate(affs):
        if aff is None or var not in aff.variables():
            continue
        if k < len(affs) - 1:
            return True
        coef = aff.coef(var)
        if coef is None or abs(coef) > 1:
            return True
    return False


def moves(src: Source, subscripts: list, var: str) -> bool:
    """True if the access's element changes with var (False: it is reused along var)."""
    return any(var in aff.variables() if aff is not None else True for aff in (to_affine(src, s) for s in subscripts))


def order_cost(fa: FileAnalyzer, band: list[Loop], order: tuple[int, ...]) -> tuple[int, ...]:
    """Strided accesses in the innermost index of the order, then in the next one out, and so on."""
    facts = Scanner(fa.src, fa.by_node).scan(band[0])
    subs = [m.subscripts for m in facts.mem if m.subscripts]
    return tuple(sum(strided(fa.src, s, band[k].index) for s in subs) for k in reversed(order))


def best_order(fa: FileAnalyzer, deps: BandDeps, need_parallel: bool = True) -> tuple[int, ...] | None:
    """The legal order with the cheapest memory walk (the written order on ties) and, unless the band runs inside a
    loop that is already parallel (need_parallel false), a parallel outermost loop."""
    n = len(deps.band)
    orders = [o for o in itertools.permutations(range(n))
              if deps.legal_order(o) and (deps.parallel_at(o, 0) or not need_parallel)]
    if not orders:
        return None
    return min(orders, key=lambda o: (order_cost(fa, deps.band, o), o != tuple(range(n)), o))


def direction_text(deps: BandDeps) -> str:
    if not deps.vectors:
        return "no dependence between iterations"
    return "dependence directions " + ", ".join("(" + ", ".join(v) + ")" for v in sorted(deps.vectors))


def header_span(loop: Loop) -> tuple[int, int]:
    """The bytes of `for (...)`, up to its closing parenthesis (a comment before the body is not part of it)."""
    body = loop.body
    end = body.start_byte if body is not None else loop.node.end_byte
    close = [c for c in loop.node.children if c.type == ")" and c.end_byte <= end]
    return loop.node.start_byte, close[-1].end_byte if close else end


def replace_headers(src: Source, band: list[Loop], headers: list[bytes]) -> bytes:
    """The band's text (from its first header to its end) with header k replaced by headers[k]."""
    start, end = band[0].node.start_byte, band[0].node.end_byte
    out, pos = b"", start
    for loop, new in zip(band, headers):
        a, b = header_span(loop)
        out += src.text[pos:a] + new
        pos = b
    return out + src.text[pos:end]


def index_type(fa: FileAnalyzer, loop: Loop) -> str:
    init = loop.node.child_by_field_name("initializer")
    if loop.index_declared and init is not None and init.type == "declaration":
        kind = init.child_by_field_name("type")
        if kind is not None:
            return fa.src.text_of(kind)
    decl = fa.symbols(loop).get(loop.index or "")
    return decl.type_text if decl is not None and decl.type_text else "long"


def fresh_name(fa: FileAnalyzer, loop: Loop, taken: set[str]) -> str:
    v = loop.index or "x"
    for name in (v + v, f"{v}_tile", f"{v}_t0", f"{v}_t1"):
        if name not in taken:
            taken.add(name)
            return name
    raise ValueError("no free name")


def tiled_headers(fa: FileAnalyzer, loop: Loop, written: Loop, text: Source, tile: str,
                  size: int) -> tuple[str, str] | None:
    """(tile loop header, point loop header) for one loop `for (i = LO; i < HI; i++)` (or <=); the text of the
    bounds is the file's own (written, in text: macros unexpanded), the index type the analysis's."""
    cond = written.node.child_by_field_name("condition")
    update = written.node.child_by_field_name("update")
    if cond is None or update is None or cond.type != "binary_expression" or not written.bound_nodes:
        return None
    left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
    op = text.text_of(cond.child_by_field_name("operator"))
    if text.text_of(left) != written.index or op not in ("<", "<=") or written.index != loop.index:
        return None
    low, high, i = text.text_of(written.bound_nodes[0]), text.text_of(right), loop.index
    span = f"{tile} + {size}" if op == "<" else f"{tile} + {size - 1}"
    kind = index_type(fa, loop)
    point_init = f"{kind} {i} = {tile}" if loop.index_declared else f"{i} = {tile}"
    return (f"for ({kind} {tile} = {low}; {tile} {op} {high}; {tile} += {size})",
            f"for ({point_init}; {i} {op} ({span} {op} {high} ? {span} : {high}); {text.text_of(update)})")


def as_written(src: Source) -> Source:
    """The file as written, parsed, when src is the compiler's view of it (tools/loops/views.py), else src: a
    rewrite copies the file's own text (macro names, comments), the analysis reads the view. Both have the same
    lines."""
    return parse(src.raw, src.lang) if src.raw is not None else src


def written_band(text: Source, band: list[Loop]) -> list[Loop] | None:
    """The loops of text at the band's lines and depths (the same loops in the file as written)."""
    loops = {(lp.line, lp.depth): lp for lp in find_loops(text)}
    out = [loops.get((lp.line, lp.depth)) for lp in band]
    if any(w is None or w.index != lp.index for w, lp in zip(out, band)):
        return None
    return out  # type: ignore[return-value]


def _headers(text: Source, band: list[Loop], order: tuple[int, ...]) -> list[bytes]:
    return [text.text[slice(*header_span(band[k]))] for k in order]


def _indent_block(text: str, first_indent: str, extra: str) -> list[str]:
    lines = text.split("\n")
    return [first_indent + extra + lines[0]] + [(extra + ln) if ln.strip() else ln for ln in lines[1:]]


def locality_candidates(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop, file: str) -> list[Proposal]:
    """The interchange (when a legal order walks memory better) and the tilings (when the band is fully permutable
    and reuses data) of the perfect band starting at loop; empty when the band's dependences are not known."""
    band = perfect_band(fa, loop)
    if len(band) < 2 or not starts_line(fa.src, loop):
        return []
    deps = band_dependences(fa, band)
    if isinstance(deps, str):
        return []
    order = best_order(fa, deps)
    if order is None:
        return []
    outside = [lp.index for lp in band if not lp.index_declared]
    if outside and fa.live_after(loop, set(outside)):
        return []  # a point loop's index read after the nest: it would be private, its value lost
    private = [f"private({', '.join(outside)})"] if outside else []
    names = [band[k].index for k in order]
    why = (f"loops {', '.join(lp.index for lp in band)}: {direction_text(deps)}")
    out: list[Proposal] = []
    text = as_written(fa.src)
    wband = written_band(text, band)
    if wband is None:
        return []
    indent = indentation(text.lines, loop.line)
    written = tuple(range(len(band)))
    if order != written and order_cost(fa, band, order) < order_cost(fa, band, written):
        pragma = pragma_text(private)
        body = replace_headers(text, wband, _headers(text, wband, order)).decode()
        # the new outermost loop re-analysed in the rewritten view: still parallel with these clauses
        seen = replace_headers(fa.src, band, _headers(fa.src, band, order))
        new_src = parse(fa.src.text[:band[0].node.start_byte] + seen + fa.src.text[band[0].node.end_byte:],
                        fa.src.lang)
        if _still_parallel(new_src, loop):
            reason = (f"interchange to the order {', '.join(names)}: the written order walks memory with a stride "
                      f"innermost; legal because every dependence stays lexicographically positive ({why}); the "
                      f"outer loop {names[0]} carries none: {pragma}")
            out.append(Proposal(file, loop.line, loop.end_line, "rewrite", pragma, private,
                                [Edit(file, loop.line, loop.end_line, f"{indent}{pragma}\n{indent}{body}\n")], 0.7,
                                reason, "analysis", locality="interchange"))
    if deps.fully_permutable() and _reuse(fa, band, order) and not _small(band):
        taken = {src.text_of(n) for src, lp in ((fa.src, loop), (text, wband[0])) for n in walk(lp.fn_node)
                 if n.type == "identifier"}
        tiles = [fresh_name(fa, band[k], taken) for k in order]
        for size in TILE_SIZES:
            parts = [tiled_headers(fa, band[k], wband[k], text, tile, size) for k, tile in zip(order, tiles)]
            if any(p is None for p in parts):
                break
            point = replace_headers(text, wband, [p[1].encode() for p in parts]).decode()  # type: ignore[index]
            step = _unit(text, wband)
            lines = [indent + pragma_text(private)]
            lines += [indent + step * d + p[0] for d, p in enumerate(parts)]  # type: ignore[index]
            lines += _indent_block(point, indent, step * len(parts))
            shape = " x ".join([str(size)] * len(band))
            reason = (f"tile the nest {shape}, order {', '.join(names)} inside the tiles: the band is fully "
                      f"permutable (no dependence direction '>': {why}), so tiles may run in any order; "
                      f"the tile loop over {names[0]} carries no dependence and runs in parallel")
            out.append(Proposal(file, loop.line, loop.end_line, "rewrite", pragma_text(private), private,
                                [Edit(file, loop.line, loop.end_line, "\n".join(lines) + "\n")], 0.6, reason,
                                "analysis", locality="tile"))
    return out


def _unit(src: Source, band: list[Loop]) -> str:
    """One level of the file's indentation, as the band's first two headers show it (four spaces otherwise)."""
    outer, inner = indentation(src.lines, band[0].line), indentation(src.lines, band[1].line)
    return inner[len(outer):] if inner.startswith(outer) and len(inner) > len(outer) else "    "


def _still_parallel(new_src: Source, loop: Loop) -> bool:
    new_fa = FileAnalyzer(new_src)
    target = next((lp for lp in new_fa.loops if lp.line == loop.line and lp.depth == loop.depth), None)
    return target is not None and new_fa.analyze(target).parallel


def _reuse(fa: FileAnalyzer, band: list[Loop], order: tuple[int, ...]) -> bool:
    """Some access stays on its element along a loop that is not innermost, or walks with a stride innermost."""
    facts = Scanner(fa.src, fa.by_node).scan(band[0])
    subs = [m.subscripts for m in facts.mem if m.subscripts]
    outer = [band[k].index for k in order[:-1]]
    inner = band[order[-1]].index
    return any(not moves(fa.src, s, v) for s in subs for v in outer) or any(strided(fa.src, s, inner) for s in subs)


def _small(band: list[Loop]) -> bool:
    """Every loop has a known trip count below two tiles of the smallest size: nothing to tile."""
    trips = [lp.trip_count() for lp in band]
    return all(t is not None and t < 2 * min(TILE_SIZES) for t in trips)


__all__ = ["TILE_SIZES", "locality_candidates", "strided"]
