"""Loop distribution in front of a better loop order: the textbook forms of dense products.

`for (i) for (j) { C[i][j] *= beta; for (k) C[i][j] += A[i][k] * B[k][j]; }` walks B down a column innermost, and
the statement before the k loop keeps j and k from trading places. Distributing the j loop over its two parts,
`for (j) C[i][j] *= beta;` then `for (j) for (k) ...`, makes the second a perfect band, which the direction vectors
may then reorder (`for (k) for (j)`, rows of B innermost). The parallel loop around (i) keeps its pragma.

Distribution is legal when no dependence goes backwards between the parts: nothing a later part touches in one
iteration of j is touched by an earlier part in a later iteration (one of the two a write). Each such pair is a
Fourier-Motzkin system (same element, both iterations in bounds, the later part's iteration first); an unsolvable
system for every pair proves it. Scalars written in the body, calls other than pure math functions, and accesses
the analysis cannot place stop it.
"""

from __future__ import annotations

import re

from hpcagent.records import Edit, Proposal
from hpcagent.tools.loops.access import Scanner
from hpcagent.tools.loops.affine import Affine
from hpcagent.tools.loops.calls import PURE
from hpcagent.tools.loops.cparse import Source, parse
from hpcagent.tools.loops.directions import band_dependences, perfect_band
from hpcagent.tools.loops.feasibility import feasible
from hpcagent.tools.loops.interchange import (
    TILE_SIZES,
    as_written,
    best_order,
    direction_text,
    header_span,
    locality_candidates,
    order_cost,
    replace_headers,
)
from hpcagent.tools.loops.memory import MemoryAnalysis, root_name
from hpcagent.tools.loops.nests import Loop, find_loops
from hpcagent.tools.loops.proposals import only_child_loop, pragma_candidates, starts_line
from hpcagent.tools.loops.verdict import FileAnalyzer, LoopFacts
from hpcagent.tools.patch import EditError, apply_to_text, indentation


def parts_of(fa: FileAnalyzer, loop: Loop) -> list[list] | None:
    """The body of loop as groups of statements in order: straight-line runs and single inner loops, each group
    alone on its lines; None unless the body is a `{}` block with exactly one inner loop and something besides it."""
    body = loop.body
    if body is None or body.type != "compound_statement":
        return None
    stmts = [c for c in body.named_children if c.type != "comment"]
    loops = [s for s in stmts if s.id in fa.by_node]
    if len(loops) != 1 or len(stmts) < 2:
        return None
    if any(s.type != "expression_statement" for s in stmts if s.id not in fa.by_node):
        return None
    groups: list[list] = []
    for s in stmts:
        if s.id in fa.by_node or not groups or groups[-1][0].id in fa.by_node:
            groups.append([s])
        else:
            groups[-1].append(s)
    return groups


COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def _group_text(src: Source, group: list) -> str | None:
    """The whole lines of a group of statements, or None if something else shares them."""
    first, last = group[0].start_point[0], group[-1].end_point[0]
    lines = src.lines[first: last + 1]
    if "".join(COMMENT.sub(" ", "\n".join(lines)).split()) != \
            "".join(src.text[group[0].start_byte: group[-1].end_byte].decode().split()):
        return None
    return "\n".join(lines)


def distribution_problem(fa: FileAnalyzer, loop: Loop, groups: list[list], scoped: bool = False) -> str | None:
    """Why loop cannot be split into one loop per group (None: it can). The same test says whether two loops may be
    fused (tools/loops/fusion.py): the fused loop can be split back into them. scoped: each group is a block of its
    own, so a scalar declared in it is not seen by another group (the fused loop's bodies)."""
    facts = Scanner(fa.src, fa.by_node).scan(loop)
    if facts.exits or facts.io or facts.methods or any(name not in PURE for name, _ in facts.calls):
        return "the body exits early, does I/O or calls a function"
    indices = {lp.index for lp in [loop, *loop.descendants()] if lp.index}
    written = facts.writes() - indices - (facts.declared if scoped else set())
    if written:
        return f"the body writes the scalar {min(written)}"
    symbols = fa.symbols(loop)
    memory = MemoryAnalysis(fa.src, loop, facts, symbols, fa.env(loop, facts), fa.distinct(loop))

    def group_of(node) -> int:
        return next(k for k, g in enumerate(groups) if g[0].start_byte <= node.start_byte < g[-1].end_byte)

    accesses = []
    for m in facts.mem:
        if root_name(m.base) in facts.declared or m.via != "subscript" or "->" in m.base or "." in m.base:
            return f"{fa.src.text_of(m.node)} is not a plain array access"
        accesses.append((group_of(m.node), m))
    for g2, later in accesses:
        for g1, earlier in accesses:
            if g1 >= g2 or not (later.write or earlier.write):
                continue
            if later.base != earlier.base:
                if memory.alias(later.base, earlier.base) != "no":
                    return f"{later.base} and {earlier.base} may alias"
                continue
            if _backward(memory, loop, later, earlier):
                return (f"{fa.src.text_of(later.node)} in one iteration and {fa.src.text_of(earlier.node)} in a later "
                        "one touch the same element")
    return None


def _backward(memory: MemoryAnalysis, loop: Loop, later, earlier) -> bool:
    """True unless proven: no iteration of the later part touches an element the earlier part touches afterwards."""
    d1, _ = memory.dims(later, "1")
    d2, _ = memory.dims(earlier, "2")
    if len(d1) != len(d2) or any(x is None for x in d1 + d2):
        return True
    zero = [x - y for x, y in zip(d1, d2)]  # type: ignore[operator]
    bounds = memory.bound_rows(("1", later), ("2", earlier))
    first = Affine.var(f"{loop.index}#2") - Affine.var(f"{loop.index}#1") - Affine.const(1)
    return feasible([*bounds, first], zero)


def _split(src: Source, outer_at: tuple[int, int], inner_at: tuple[int, int], spans: list[tuple[int, int]],
           orders: dict[tuple[int, int], tuple[int, ...]]) -> Source | None:
    """src with the loop at inner_at (line, depth) distributed over the line spans of its parts, then each band
    listed in orders (by the line and depth of its first loop after the split) put in that order. Done alike on the
    analysis's view and on the file as written (same lines), so the edit copies the file's own text."""
    loops = {(lp.line, lp.depth): lp for lp in find_loops(src)}
    outer, inner = loops.get(outer_at), loops.get(inner_at)
    if outer is None or inner is None:
        return None
    head = src.text[slice(*header_span(inner))].decode()
    ind = indentation(src.lines, inner.line)
    split = "\n".join(f"{ind}{head} {{\n" + "\n".join(src.lines[a - 1: b]) + f"\n{ind}}}" for a, b in spans)
    if outer.body is None or outer.body.type != "compound_statement":
        around = indentation(src.lines, outer.line)
        split = f"{around}{{\n{split}\n{around}}}"  # the loops that were one statement of its body are two now
    lines = src.lines
    text = ("\n".join([*lines[: inner.line - 1], split, *lines[inner.end_line:]])).encode()
    for (line, depth), order in sorted(orders.items(), reverse=True):  # bottom-up: offsets above stay valid
        now = parse(text, src.lang)
        first = next((lp for lp in find_loops(now) if lp.line == line and lp.depth == depth), None)
        band = [first] if first is not None else []
        while band and len(band) < len(order) and (nxt := only_child_loop(band[-1])) is not None:
            band.append(nxt)
        if len(band) != len(order):
            return None
        headers = [now.text[slice(*header_span(band[k]))] for k in order]
        text = text[: band[0].node.start_byte] + replace_headers(now, band, headers) + text[band[0].node.end_byte:]
    return parse(text, src.lang)


def _split_outer(src: Source, at: tuple[int, int]) -> Source | None:
    """src with the loop at `at` distributed over the loops its `{}` body holds (one copy of its header each)."""
    loop = next((lp for lp in find_loops(src) if (lp.line, lp.depth) == at), None)
    if loop is None or loop.body is None or loop.body.type != "compound_statement":
        return None
    parts = [c for c in loop.body.named_children if c.type != "comment"]
    if len(parts) < 2 or not all(p.type == "for_statement" for p in parts):
        return None
    head = src.text[slice(*header_span(loop))].decode()
    ind = indentation(src.lines, loop.line)
    lines = src.lines
    copies = []
    after = loop.body.start_point[0] + 1  # the line after the body's `{`
    for p in parts:
        first, last = p.start_point[0], p.end_point[0]
        if lines[first][: p.start_point[1]].strip() or lines[last][p.end_point[1]:].strip():
            return None
        # comment lines before a part go with it, in front of its copy of the header (kept whole, blank lines too:
        # the analysis's view, preprocessed, has blank lines there and must keep the file's line count)
        notes = lines[after: first] if not COMMENT.sub(" ", "\n".join(lines[after: first])).strip() else []
        copies.append("\n".join([*notes, f"{ind}{head}", *lines[first: last + 1]]))
        after = last + 1
    text = "\n".join([*lines[: loop.line - 1], *copies, *lines[loop.end_line:]])
    return parse(text.encode(), src.lang)


def _tiled_parts(fa: FileAnalyzer, loop: Loop, file: str, at: tuple[int, int], inner_at: tuple[int, int],
                 spans: list[tuple[int, int]], orders: dict, first_reason: str) -> list[Proposal]:
    """The distribution carried one level out: loop (parallel, so no dependence crosses its iterations) split over
    the loops its body now holds, each copy with its own `parallel for`, and the copies that are perfect, fully
    permutable bands tiled (one candidate per tile size, all such copies tiled alike)."""
    view = _split(fa.src, at, inner_at, spans, orders)
    written = _split(as_written(fa.src), at, inner_at, spans, orders)
    return _tiled_copies(fa, loop, file, view, written, f"{first_reason}; then distribute")


def _tiled_copies(fa: FileAnalyzer, loop: Loop, file: str, view: Source | None, written: Source | None,
                  lead: str) -> list[Proposal]:
    """loop (in view, the analysis's text, and written, the file's own, both with loop's line and depth as in
    fa.src) split over the loops its body holds, one candidate per tile size with every perfect, fully permutable
    copy tiled that size and every other copy under its own `parallel for`; lead opens the reason ("distribute")."""
    at = (loop.line, loop.depth)
    view2 = _split_outer(view, at) if view is not None else None
    written2 = _split_outer(written, at) if written is not None else None
    if view2 is None or written2 is None or len(view2.lines) != len(written2.lines):
        return []
    view2.raw = written2.text  # what the rewrite of each copy copies from (tools/loops/interchange.py)
    fa2 = FileAnalyzer(view2)
    facts2 = {f.loop.node.id: f for f in fa2.analyze_all()}
    grown = len(view2.lines) - len(fa.src.lines)
    last = loop.end_line + grown
    tops = [lp for lp in fa2.loops if lp.depth == loop.depth and loop.line <= lp.line <= last]
    pragmas, tiles = {}, {}
    for top in tops:
        mine = pragma_candidates(fa2, facts2, top, file, with_inner=False)
        if not mine or mine[0].kind != "pragma":
            return []
        pragmas[top.line] = mine[0]
        tiles[top.line] = {int(c.reason.split()[3]): c for c in locality_candidates(fa2, facts2, top, file)
                           if c.locality == "tile"}
    out = []
    for size in TILE_SIZES:
        edits = [tiles[line][size].edits[0] if size in tiles[line] else pragmas[line].edits[0] for line in pragmas]
        if not any(size in tiles[line] for line in pragmas):
            break
        try:
            new = apply_to_text(written2.text.decode(), edits, file).split("\n")
        except EditError:
            return out
        tail = len(fa.src.lines) - loop.end_line
        region = new[loop.line - 1: len(new) - tail]
        tiled = [f"{line}" for line in pragmas if size in tiles[line]]
        reason = (f"{lead} the loop {loop.index} over the {len(tops)} loops it holds (it "
                  f"carries no dependence: each part may run as a loop of its own, with its own parallel for), and "
                  f"tile {len(tiled)} of them {size} per side ({tiles[int(tiled[0])][size].reason.split(': ', 1)[1]})")
        out.append(Proposal(file, loop.line, loop.end_line, "rewrite", pragmas[tops[0].line].pragma, [],
                            [Edit(file, loop.line, loop.end_line, "\n".join(region) + "\n")], 0.6, reason,
                            "analysis", locality="tile"))
    return out


def distributed_candidates(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop, file: str) -> list[Proposal]:
    """For a parallel loop whose body is one loop J of statements and one inner loop: J distributed over them and
    the inner loop's band put in its best legal order, with loop's own pragma. Empty unless the order improves."""
    mine = facts[loop.node.id]
    inner = only_child_loop(loop)
    if not mine.parallel or inner is None or inner.kind != "for" or not starts_line(fa.src, loop):
        return []
    groups = parts_of(fa, inner)
    if groups is None or not starts_line(fa.src, inner):
        return []
    if any(_group_text(fa.src, g) is None for g in groups) or distribution_problem(fa, inner, groups) is not None:
        return []
    at, inner_at = (loop.line, loop.depth), (inner.line, inner.depth)
    spans = [(g[0].start_point[0] + 1, g[-1].end_point[0] + 1) for g in groups]
    new_src = _split(fa.src, at, inner_at, spans, {})
    if new_src is None:
        return []
    new_fa = FileAnalyzer(new_src)
    top = next((lp for lp in new_fa.loops if (lp.line, lp.depth) == at), None)
    if top is None or not new_fa.analyze(top).parallel:
        return []
    orders, why = {}, []
    for part in top.children:
        band = perfect_band(new_fa, part)
        deps = band_dependences(new_fa, band) if len(band) >= 2 else "one loop"
        if isinstance(deps, str):
            continue
        order = best_order(new_fa, deps, need_parallel=False)
        written = tuple(range(len(band)))
        if order is None or order == written or order_cost(new_fa, band, order) >= order_cost(new_fa, band, written):
            continue
        orders[(part.line, part.depth)] = order
        why.append(f"the loops {', '.join(lp.index or '' for lp in band)} at line {band[0].line} in the order "
                   f"{', '.join(band[k].index or '' for k in order)} ({direction_text(deps)})")
    if not why:
        return []
    final = _split(fa.src, at, inner_at, spans, orders)
    text = _split(as_written(fa.src), at, inner_at, spans, orders) if final is not None else None
    if final is None or text is None:
        return []
    final_fa = FileAnalyzer(final)
    target = next((lp for lp in final_fa.loops if (lp.line, lp.depth) == at), None)
    mirror = next((lp for lp in find_loops(text) if (lp.line, lp.depth) == at), None)
    if target is None or mirror is None:
        return []
    final_facts = {f.loop.node.id: f for f in final_fa.analyze_all()}
    pragmas = pragma_candidates(final_fa, final_facts, target, file, with_inner=False)
    if not pragmas:
        return []
    pragma = pragmas[0]
    body = text.lines[mirror.line - 1: mirror.end_line]
    new = "\n".join([indentation(text.lines, mirror.line) + (pragma.pragma or ""), *body]) + "\n"
    reason = (f"distribute the loop {inner.index} at line {inner.line} over its {len(groups)} parts (no dependence "
              f"runs backwards between them), then walk {'; '.join(why)}: every dependence stays lexicographically "
              f"positive; {pragma.pragma} on the loop {loop.index}, which carries none")
    first = Proposal(file, loop.line, loop.end_line, "rewrite", pragma.pragma, list(pragma.clauses),
                     [Edit(file, loop.line, loop.end_line, new)], 0.7, reason, "analysis", locality="interchange")
    if mine.verdict != "parallel":  # a reduction carries its accumulation across loop: loop itself is not split
        return [first]
    return [first, *_tiled_parts(fa, loop, file, at, inner_at, spans, orders, reason.split(": every")[0])]


def split_candidates(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop, file: str) -> list[Proposal]:
    """For a parallel loop whose `{}` body holds two or more loops and nothing else (polybench's gemm and 2mm:
    `for (i) { for (j) C[i][j] *= beta; for (k) for (j) C[i][j] += A[i][k] * B[k][j]; }`): the loop distributed
    over them, each copy with its own `parallel for`, and the copies that are perfect, fully permutable bands tiled
    (the product's i-k-j band, which the loop's body hid), one candidate per tile size. Legal when no dependence
    runs backwards between the parts (distribution_problem): the loop carries none, and nothing one part leaves
    in a scratch array or scalar for the next part of the same iteration (a privatized `sum[p]`) may be split
    off; a reduction loop is not split."""
    mine = facts[loop.node.id]
    body = loop.body
    if mine.verdict != "parallel" or body is None or body.type != "compound_statement" or \
            not starts_line(fa.src, loop):
        return []
    parts = [c for c in body.named_children if c.type != "comment"]
    if len(parts) < 2 or any(p.id not in fa.by_node or not starts_line(fa.src, fa.by_node[p.id]) for p in parts):
        return []
    if any(_group_text(fa.src, [p]) is None for p in parts) or distribution_problem(fa, loop, [[p] for p in parts]):
        return []
    return _tiled_copies(fa, loop, file, fa.src, as_written(fa.src), "distribute")
