"""Propose swapping two perfectly nested loops when the inner one walks memory with a large stride."""

from __future__ import annotations

from hpcagent.records import Edit, Proposal
from hpcagent.tools.loops.access import Scanner
from hpcagent.tools.loops.affine import to_affine
from hpcagent.tools.loops.cparse import Source, parse
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.proposals import names_in, only_child_loop, pragma_text
from hpcagent.tools.loops.verdict import FileAnalyzer, LoopFacts
from hpcagent.tools.patch import indentation


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


def stride_costs(fa: FileAnalyzer, outer: Loop, inner: Loop) -> tuple[int, int]:
    """(accesses strided in the inner index, accesses strided in the outer index) inside the inner loop."""
    facts = Scanner(fa.src, fa.by_node).scan(outer)
    inside = [m for m in facts.mem if inner in m.inner and m.subscripts]
    return (sum(strided(fa.src, m.subscripts, inner.index) for m in inside),
            sum(strided(fa.src, m.subscripts, outer.index) for m in inside))


def header_span(loop: Loop) -> tuple[int, int]:
    body = loop.body
    end = body.start_byte if body is not None else loop.node.end_byte
    text = loop.node.text[: end - loop.node.start_byte].rstrip()
    return loop.node.start_byte, loop.node.start_byte + len(text)


def swapped_text(src: Source, outer: Loop, inner: Loop) -> bytes:
    (a0, a1), (b0, b1) = header_span(outer), header_span(inner)
    data = src.text
    return data[:a0] + data[b0:b1] + data[a1:b0] + data[a0:a1] + data[b1:]


def interchange_pairs(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop) -> list[tuple[Loop, Loop]]:
    """Pairs (outer, inner) in loop's nest that are legal and profitable to swap."""
    out = []
    for outer in [loop, *loop.descendants()]:
        inner = only_child_loop(outer)
        if inner is None or inner.children or outer.kind != "for" or inner.kind != "for":
            continue
        if not (outer.canonical and inner.canonical) or outer.index == inner.index:
            continue
        if outer.index in names_in(fa.src, inner) or inner.index in names_in(fa.src, outer):
            continue
        # legal: the outer loop carries no dependence, so no dependence has direction (<, >)
        if facts[outer.node.id].verdict != "parallel":
            continue
        bad_inner, bad_outer = stride_costs(fa, outer, inner)
        if bad_inner > bad_outer:
            out.append((outer, inner))
    return out


def interchange_candidates(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop, file: str) -> list[Proposal]:
    """Rewrite proposals: the swapped nest, with the pragma the new nest's outer loop earns."""
    from hpcagent.tools.loops.proposals import pragma_candidates

    out = []
    for outer, inner in interchange_pairs(fa, facts, loop)[:1]:
        new_src = parse(swapped_text(fa.src, outer, inner), fa.src.lang)
        new_fa = FileAnalyzer(new_src)
        new_facts = {f.loop.node.id: f for f in new_fa.analyze_all()}
        target = next((lp for lp in new_fa.loops if lp.line == loop.line and lp.depth == loop.depth), None)
        if target is None:
            continue
        pragmas = pragma_candidates(new_fa, new_facts, target, file, with_inner=False)
        if not pragmas:
            continue
        lines = new_src.lines[loop.line - 1: loop.end_line]
        pragma = pragmas[0]
        text = "\n".join([indentation(new_src.lines, loop.line) + pragma.pragma, *lines]) + "\n"
        out.append(Proposal(file, loop.line, loop.end_line, "rewrite", pragma_text(pragma.clauses),
                            list(pragma.clauses), [Edit(file, loop.line, loop.end_line, text)], 0.7,
                            f"interchange the loops at lines {outer.line} and {inner.line}: the inner loop "
                            f"walks memory with a large stride; then {pragma.pragma}", "analysis"))
    return out
