"""Turn a loop's analysis into ranked OpenMP proposals: clauses, collapse, schedule, inner level, interchange."""

from __future__ import annotations

import re

from hpcagent.records import Edit, Proposal
from hpcagent.tools.loops.calls import PURE
from hpcagent.tools.loops.cparse import Source, walk
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.verdict import FileAnalyzer, LoopFacts
from hpcagent.tools.patch import indentation, insert_before

SMALL_WORK = 2000
"""Below this many estimated operations a thread team costs more than it saves."""


def pragma_text(clauses: list[str]) -> str:
    return " ".join(["#pragma omp parallel for", *clauses])


def names_in(src: Source, loop: Loop) -> set[str]:
    return {src.text_of(n) for b in loop.bound_nodes for n in walk(b) if n.type == "identifier"}


def only_child_loop(loop: Loop) -> Loop | None:
    """The inner loop if loop's body is exactly one loop statement (a perfect nest level)."""
    body = loop.body
    if body is None:
        return None
    stmts = [c for c in body.named_children if c.type != "comment"] if body.type == "compound_statement" else [body]
    if len(stmts) == 1 and len(loop.children) == 1 and stmts[0].id == loop.children[0].node.id:
        return loop.children[0]
    return None


INDIRECT = ("subscript_expression", "call_expression", "field_expression", "pointer_expression")


def _direct_uses(src: Source, node, name: str) -> bool:
    """name occurs in node as a value of its own, not only inside a subscript, call or dereference (rowptr[i])."""
    if node.type == "identifier":
        return src.text_of(node) == name
    if node.type in INDIRECT:
        return False
    return any(_direct_uses(src, child, name) for child in node.children)


def triangular(src: Source, loop: Loop) -> bool:
    """True if some inner loop's bounds are arithmetic in this loop's index (j < i, j = i + 1): unequal work.

    Bounds read through the index (CSR rows, rowptr[i] .. rowptr[i + 1]) are data-dependent, not triangular: their
    cost is usually even enough for the static schedule, and an uneven-work candidate (dynamic, 16) follows it.
    """
    return any(_direct_uses(src, b, loop.index) and not _even_span(inner, loop.index)
               for inner in loop.descendants() for b in inner.bound_nodes)


def _even_span(inner: Loop, index: str) -> bool:
    """Both bounds move with the index by the same amount, so the trip count does not depend on it (CoMD's atoms of
    cell i: `iOff = MAXATOMS*i; iOff < MAXATOMS*i + n`): the same work, shifted."""
    return (inner.lower is not None and inner.upper is not None
            and index not in (inner.upper - inner.lower).variables())


BRANCHY = ("if_statement", "conditional_expression", "while_statement", "do_statement", "break_statement",
           "continue_statement", "call_expression")


def uneven(src: Source, loop: Loop) -> bool:
    """Iterations whose work may differ: an inner loop with bounds read from memory (a CSR row), a while loop, a
    branch or jump, or a call in the body (other than a math function's). A straight-line body over fixed bounds
    costs the same every iteration, and a dynamic schedule only adds overhead there (it measured 0.29x on a
    streaming vector update, 0.49x on an n-body force loop)."""
    inner_bounds = any(n.type in INDIRECT for inner in loop.descendants() for b in inner.bound_nodes for n in walk(b))
    body = loop.body
    return inner_bounds or (body is not None and any(n.type in BRANCHY and not _math_call(src, n) for n in walk(body)))


def _math_call(src: Source, node) -> bool:
    """A call of a pure math function (sqrt, exp...): the same cost every iteration."""
    return node.type == "call_expression" and src.text_of(node.child_by_field_name("function")) in PURE


def collapsible(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop) -> list[Loop]:
    """The inner loops that collapse() may fuse with loop: perfectly nested, rectangular and parallel."""
    out, cur, indices = [], loop, {loop.index}
    while True:
        inner = only_child_loop(cur)
        if inner is None or inner.kind != "for" or not inner.canonical or inner.omp:
            return out
        if names_in(fa.src, inner) & indices or not facts[inner.node.id].parallel:
            return out
        out.append(inner)
        indices.add(inner.index)
        cur = inner


def make(file: str, src: Source, loop: Loop, clauses: list[str], reason: str, confidence: float) -> Proposal:
    text = pragma_text(clauses)
    edit = insert_before(file, loop.line, text, src.lines)
    return Proposal(file, loop.line, loop.end_line, "pragma", text, list(clauses), [edit], confidence, reason,
                    "analysis")


def starts_line(src: Source, loop: Loop) -> bool:
    line = src.lines[loop.line - 1]
    return line[: loop.node.start_point[1]].strip() == ""


def pragma_candidates(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop, file: str,
                      with_inner: bool = True) -> list[Proposal]:
    """Ranked pragma proposals for one parallel loop (empty if it is not parallel or too small)."""
    mine = facts[loop.node.id]
    if not mine.parallel or not starts_line(fa.src, loop):
        return []
    if mine.trip is not None and mine.trip * mine.cost < SMALL_WORK:
        return []
    if short_inner(fa.src, loop, mine):
        return []
    base = mine.clauses
    what = "reduction" if mine.verdict == "reduction" else "independent iterations"
    out: list[Proposal] = []
    imbalanced = triangular(fa.src, loop)
    if imbalanced:
        out.append(make(file, fa.src, loop, ["schedule(dynamic)", *base], f"{what}; triangular inner bounds, "
                        "so iterations differ in cost: dynamic schedule", 0.75))
        out.append(make(file, fa.src, loop, ["schedule(guided)", *base], f"{what}; guided schedule for "
                        "triangular work with less scheduling overhead", 0.7))
    out.append(make(file, fa.src, loop, base, f"{what}: {mine.reason}", 0.8 if not imbalanced else 0.6))
    inner = collapsible(fa, facts, loop)
    if inner and not imbalanced:
        fused = {lp.index for lp in inner}
        clauses = [f"collapse({len(inner) + 1})"] + [c for c in base if c not in {f"private({n})" for n in fused}]
        out.append(make(file, fa.src, loop, clauses, f"perfect rectangular nest of {len(inner) + 1} parallel "
                        "loops: collapse for more parallel iterations", 0.6))
    if not imbalanced and uneven(fa.src, loop):
        out.append(make(file, fa.src, loop, ["schedule(dynamic, 16)", *base], "dynamic schedule in case "
                        "iterations are uneven (data-dependent work)", 0.4))
    if with_inner:
        for child in loop.children:
            for prop in pragma_candidates(fa, facts, child, file, with_inner=False)[:1]:
                prop.confidence, prop.reason = 0.35, f"parallelize the inner loop at line {child.line} instead"
                out.append(prop)
    return out


def short_inner(src: Source, loop: Loop, mine: LoopFacts) -> bool:
    """An inner loop whose bounds are loaded from memory (a CSR row, a bucket) under a loop that stays serial.

    Such trip counts are data-dependent and usually small; a thread team per outer iteration costs more than the
    loop's work (millions of parallel regions), so it is not offered.
    """
    if loop.parent is None or mine.trip is not None:
        return False
    # a C++ member (this->n_) is the object's size, not a load per outer iteration
    return any("[" in src.text_of(node) or "->" in src.text_of(node).replace("this->", "")
               for node in loop.bound_nodes)


def atomic_candidate(fa: FileAnalyzer, mine: LoopFacts, file: str, unproven: bool = False) -> Proposal | None:
    """parallel for with `#pragma omp atomic` before each histogram update (array reductions of unknown size);
    unproven: the updates and clauses found only once the loop's accesses are taken as not aliased."""
    loop = mine.loop
    atomics, clauses = (mine.unproven_atomics, mine.unproven_clauses or []) if unproven else (mine.atomics, mine.clauses)
    if not atomics or not starts_line(fa.src, loop):
        return None
    text = pragma_text(clauses)
    edits = [insert_before(file, loop.line, text, fa.src.lines)]
    for node in atomics:
        stmt = node.parent
        row = node.start_point[0] + 1
        line = fa.src.lines[row - 1]
        # the update must be the whole statement, alone on its line, so the directive can precede it
        if stmt is None or stmt.type != "expression_statement" or line.strip() != fa.src.text_of(stmt).strip():
            return None
        edits.append(insert_before(file, row, "#pragma omp atomic", fa.src.lines))
    names = sorted({fa.src.text_of(n.child_by_field_name("left") or n.child_by_field_name("argument")).split("[")[0]
                    for n in atomics})
    why = f"histogram updates of {', '.join(names)} (array size unknown here): each made atomic"
    prop = Proposal(file, loop.line, loop.end_line, "rewrite", text, list(clauses), edits, 0.4 if unproven else 0.45,
                    f"{UNPROVEN_NOTE}: {mine.obstacle}; {why}" if unproven else why, "analysis")
    if unproven:
        prop.proof = "unproven"
    return prop


UNPROVEN_NOTE = "not proven by the analysis"


def unproven_candidates(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop, file: str) -> list[Proposal]:
    """Pragma proposals for a loop the analysis could not prove parallel, only because of a possible dependence or
    aliasing between memory accesses (LoopFacts.unproven_clauses). Marked proof="unproven": the sandbox's race
    check at every thread count, the tests and the output comparison are the only evidence for them."""
    mine = facts[loop.node.id]
    if mine.private_arrays:
        return privatized_candidates(fa, mine, file)
    if mine.unproven_clauses is None or mine.verdict != "unknown" or not starts_line(fa.src, loop):
        return []
    if mine.trip is not None and mine.trip * mine.cost < SMALL_WORK:
        return []
    if short_inner(fa.src, loop, mine):
        return []
    if mine.unproven_atomics:  # a histogram: with atomic updates or not at all
        return [c for c in [atomic_candidate(fa, mine, file, unproven=True)] if c is not None]
    why = f"{UNPROVEN_NOTE}: {mine.obstacle}; left to the race check, the tests and the output comparison"
    out = []
    if triangular(fa.src, loop):
        out.append(make(file, fa.src, loop, ["schedule(dynamic)", *mine.unproven_clauses],
                        f"{why} (dynamic schedule: triangular inner bounds)", 0.3))
    out.append(make(file, fa.src, loop, list(mine.unproven_clauses), why, 0.25))
    for prop in out:
        prop.proof = "unproven"
    return out


def privatized_candidates(fa: FileAnalyzer, mine: LoopFacts, file: str) -> list[Proposal]:
    """The pragma plus a local declaration of each scratch array (LoopFacts.private_arrays) as the first line of
    the loop's body, where it shadows the outer array or pointer. Unproven when one of them is a parameter, a global
    or shared storage (mine.obstacle). None unless the body is a `{` block whose opening brace ends its line."""
    loop, src = mine.loop, fa.src
    body = loop.body
    if mine.unproven_clauses is None or body is None or body.type != "compound_statement" or not starts_line(src, loop):
        return []
    if mine.trip is not None and mine.trip * mine.cost < SMALL_WORK:
        return []
    brace = body.start_point[0] + 1
    if src.lines[brace - 1][body.start_point[1] + 1:].strip():
        return []
    first = next((c for c in body.named_children if c.type != "comment"), None)
    indent = indentation(src.lines, first.start_point[0] + 1) if first is not None and first.start_point[0] + 1 > brace \
        else indentation(src.lines, loop.line) + "    "
    text = pragma_text(mine.unproven_clauses)
    decls = "".join(f"{indent}{s.declaration}\n" for s in mine.private_arrays)
    edits = [insert_before(file, loop.line, text, src.lines), Edit(file, brace + 1, brace, decls)]
    names = ", ".join(s.name for s in mine.private_arrays)
    why = f"{names} privatized as a local array in the loop body (each iteration fills it before reading it)"
    proof = "static"
    if mine.obstacle:
        why, proof = f"{UNPROVEN_NOTE}: {mine.obstacle}; {why}", "unproven"
    prop = Proposal(file, loop.line, loop.end_line, "rewrite", text, list(mine.unproven_clauses), edits,
                    0.5 if proof == "static" else 0.3, why, "analysis")
    prop.proof = proof
    return [prop]


def locality_order(rewrites: list[Proposal]) -> list[Proposal]:
    """The search order of a nest's locality rewrites: the first tiling of each kind (the form that also reuses the
    cache, as Polly would choose), then the plain loop orders, unroll-and-jam and fusion, then the other tile sizes.
    A rewrite tried after an accepted one is kept only when faster beyond the noise, so the first tried is the one
    the doubt favours."""
    firsts = [c for k, c in enumerate(rewrites) if c.locality == "tile"
              and (k == 0 or rewrites[k - 1].locality != "tile")]
    rest = [c for c in rewrites if c not in firsts]
    return firsts + [c for c in rest if c.locality != "tile"] + [c for c in rest if c.locality == "tile"]


FEW_ITERATIONS = 64
"""A proven inner loop of at most this many iterations (a block of a blocked nest) forks its thread team for that
little work once per iteration of every loop around it: the nest's unproven outer levels are tried before it."""


def nest_order(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop, file: str, inner: list[Proposal],
               own: list[Proposal]) -> list[Proposal]:
    """The candidates of a loop left unproven by possible aliasing, in the order tried: the proven ones of the
    levels below it (inner), its own, the first unproven one of each loop of the level below (Rodinia nw's block
    loop under its diagonal loop; cfd's strip under its block loop comes after the block loop itself; several
    loops below come before its own), and last the proven loops of a few iterations."""
    trips = {f.loop.line: f.trip for f in facts.values()}
    below = [c for child in loop.children if (cf := facts.get(child.node.id)) is not None and not cf.parallel
             and cf.unproven_clauses is not None for c in unproven_candidates(fa, facts, child, file)[:1]]
    few = [c for c in inner if (trips.get(c.line) or FEW_ITERATIONS + 1) <= FEW_ITERATIONS]
    below = [c for c in below if c not in own]
    if len({c.line for c in below}) >= 2:
        # several loops in sequence below it (a time step of sweeps, srad_v1's iteration loop): each sweep is a
        # change of its own, while the loop around them usually carries what one step hands to the next
        return [c for c in inner if c not in few] + below + own + few
    return [c for c in inner if c not in few] + own + below + few


def reduces(proposal: Proposal) -> bool:
    """The change adds a reduction clause somewhere."""
    return "reduction(" in (proposal.pragma or "") or any("reduction(" in e.new_text for e in proposal.edits)


def reduced(proposal: Proposal) -> list[str]:
    """The variables the change's reduction clauses name (`reduction(+:sum, sum2)` -> sum, sum2)."""
    text = " ".join([proposal.pragma or "", *(e.new_text for e in proposal.edits)])
    return sorted({name.strip().split("[")[0] for m in re.finditer(r"reduction\s*\([^:]*:([^)]*)\)", text)
                   for name in m.group(1).split(",") if name.strip()})
