"""Loop fusion: a parallel loop and the parallel loop right after it, over the same range, made one loop.

`for (i) a[i] = b[i] * s;` then `for (i) c[i] = a[i] + d[i];` become one loop whose body is both bodies in their
order: a[i] is used while still in a register or the cache instead of being streamed through memory twice, and the
program forks and joins one thread team instead of two.

Legality: the fused loop runs iteration i of the second body before iteration i + 1 of the first, so fusion is legal
exactly when the fused loop could be split back into the two loops: no dependence runs backwards between the bodies
(nothing the second body touches in one iteration is touched by the first in a later one, one of the two a write).
That is the distribution test of tools/loops/distribute.py, run on the fused loop; the fused loop must then be
proven parallel itself, and its pragma is the one the analysis gives it. Fusion is proposed only when the loops have
the same header (index, bounds, step 1), nothing between them, no scalar declared by both bodies, and share an array
(the reuse it buys); the first loop is the target, and the edit covers both.
"""

from __future__ import annotations

from hpcagent.records import Edit, Proposal
from hpcagent.tools.loops.access import Scanner
from hpcagent.tools.loops.cparse import Source, declarator_name, parse
from hpcagent.tools.loops.distribute import distribution_problem
from hpcagent.tools.loops.interchange import as_written, header_span
from hpcagent.tools.loops.memory import root_name
from hpcagent.tools.loops.nests import Loop, find_loops
from hpcagent.tools.loops.proposals import pragma_candidates, starts_line
from hpcagent.tools.loops.verdict import FileAnalyzer, LoopFacts
from hpcagent.tools.patch import indentation

UNIT = "    "


def next_loop(fa: FileAnalyzer, loop: Loop) -> Loop | None:
    """The loop statement that directly follows loop in the same block (no statement or comment between)."""
    node = loop.node.next_named_sibling
    if node is None or loop.node.parent is None or loop.node.parent.type != "compound_statement":
        return None
    return fa.by_node.get(node.id)


def _body_lines(src: Source, lp: Loop, ind: str) -> list[str] | None:
    """The lines of lp's body without its braces, or None when other code shares the brace lines."""
    body = lp.body
    if body is None:
        return None
    lines = src.lines
    (r0, c0), (r1, c1) = body.start_point, body.end_point
    if body.type == "compound_statement":
        if r0 == r1:
            inner = src.text[body.start_byte + 1: body.end_byte - 1].decode().strip()
            return [ind + UNIT + inner] if inner else []
        if lines[r0][c0 + 1:].strip() or lines[r1][: c1 - 1].strip():
            return None
        return lines[r0 + 1: r1]
    if r0 == r1:
        return [ind + UNIT + src.text_of(body)]
    if lines[r0][:c0].strip():
        return None
    return lines[r0: r1 + 1]


def _block_names(src: Source, lp: Loop) -> set[str]:
    """The names declared by the statements of lp's `{}` body itself (not those of inner loops' headers)."""
    body = lp.body
    if body is None or body.type != "compound_statement":
        return set()
    return {declarator_name(src, d) or "" for c in body.named_children if c.type == "declaration"
            for d in c.children_by_field_name("declarator")} - {""}


def _statements(lp: Loop) -> int:
    body = lp.body
    if body is None:
        return 0
    if body.type != "compound_statement":
        return 1
    return len([c for c in body.named_children if c.type != "comment"])


def _fused(src: Source, first: Loop, second: Loop) -> bytes | None:
    """The text of the two loops' lines as one loop: the first header, then both bodies in order."""
    ind = indentation(src.lines, first.line)
    one, two = _body_lines(src, first, ind), _body_lines(src, second, ind)
    if one is None or two is None or src.lines[second.end_line - 1][second.node.end_point[1]:].strip():
        return None
    head = src.text[first.node.start_byte: header_span(first)[1]].decode()
    return "\n".join([f"{ind}{head} {{", *one, *two, f"{ind}}}"]).encode()


def fusion_candidates(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop, file: str,
                      top: Proposal | None) -> list[Proposal]:
    """loop fused with the next loop when that is legal and both touch the same array; [] otherwise."""
    if top is None or top.kind != "pragma" or top.line != loop.line or not top.pragma:
        return []
    second = next_loop(fa, loop)
    if second is None or loop.kind != "for" or second.kind != "for" or second.omp:
        return []
    f1, f2 = facts.get(loop.node.id), facts.get(second.node.id)
    if f1 is None or f2 is None or f1.verdict != "parallel" or f2.verdict != "parallel":
        return []
    if (loop.index, loop.step, loop.lower, loop.upper, loop.index_declared) != \
            (second.index, second.step, second.lower, second.upper, second.index_declared) or loop.step != 1 \
            or loop.lower is None or loop.upper is None or not starts_line(fa.src, loop):
        return []
    if _block_names(fa.src, loop) & _block_names(fa.src, second):
        return []  # a name declared by both bodies would be declared twice in one block
    s1, s2 = (Scanner(fa.src, fa.by_node).scan(lp) for lp in (loop, second))
    shared = sorted({root_name(m.base) for m in s1.mem} & {root_name(m.base) for m in s2.mem})
    if not shared:
        return []
    text = as_written(fa.src)
    fused = {}
    for name, src in (("view", fa.src), ("written", text)):
        loops = {(lp.line, lp.depth): lp for lp in find_loops(src)}
        a, b = loops.get((loop.line, loop.depth)), loops.get((second.line, second.depth))
        one = _fused(src, a, b) if a is not None and b is not None else None
        if one is None:
            return []
        fused[name] = one
    lines = fa.src.lines
    new_view = parse("\n".join([*lines[: loop.line - 1], fused["view"].decode(), *lines[second.end_line:]]).encode(),
                     fa.src.lang)
    fa2 = FileAnalyzer(new_view)
    target = next((lp for lp in fa2.loops if (lp.line, lp.depth) == (loop.line, loop.depth)), None)
    if target is None or target.node.has_error or target.body is None:
        return []
    stmts = [c for c in target.body.named_children if c.type != "comment"]
    split = _statements(loop)
    if split != len(stmts) - _statements(second) or split == 0:
        return []
    problem = distribution_problem(fa2, target, [stmts[:split], stmts[split:]], scoped=True)
    if problem is not None:
        return []
    facts2 = {lp.node.id: fa2.analyze(lp) for lp in [target, *target.descendants()]}
    mine = facts2.get(target.node.id)
    if mine is None or not mine.parallel:
        return []
    pragmas = pragma_candidates(fa2, facts2, target, file, with_inner=False)
    if not pragmas or pragmas[0].kind != "pragma" or not pragmas[0].pragma:
        return []
    pragma = pragmas[0].pragma
    indent = indentation(text.lines, loop.line)
    why = (f"fuse the loop at line {second.line} into this one: both run {loop.index} over the same range and "
           f"touch {', '.join(shared[:3])}, which the fused body reuses while it is still in cache, with one thread "
           f"team instead of two; legal because no dependence runs backwards between the two bodies (the fused "
           f"loop could be split back into them); {pragma} on the fused loop, which carries no dependence")
    return [Proposal(file, loop.line, loop.end_line, "rewrite", pragma, list(pragmas[0].clauses),
                     [Edit(file, loop.line, second.end_line, f"{indent}{pragma}\n{fused['written'].decode()}\n")],
                     top.confidence * 0.8, why, "analysis", locality="fusion")]


__all__ = ["fusion_candidates", "next_loop"]
