"""`#pragma omp simd` where the compiler did not vectorize a loop the analysis proved free of dependences.

gcc and clang leave a loop scalar when vectorizing it would reorder a floating-point reduction (`s += a[i] * b[i]`
without -ffast-math), when their cost model doubts the gain (gcc -O2), or when they cannot rule out an overlap the
analysis has ruled out. `omp simd` licenses exactly that reordering and nothing more. A candidate is the nest's top
`parallel for` plus `omp simd` (with the inner loop's reduction and private clauses) on each innermost loop that

- the analysis proved parallel or a scalar reduction at its own level (no array reduction, no atomic update),
- calls nothing but pure math functions, and
- the compiler's own report (tools/loops/vectorizer.py, compiled with the project's command) says it did not
  vectorize, or (gcc) vectorized it with its floating-point reduction kept in order, one add after another;

or `parallel for simd` when the parallel loop is itself that innermost loop. It is tried after an acceptance like a
loop-order or tiling rewrite (Proposal.locality "simd") and kept only when faster beyond the noise; a reordered sum
must still match the original's output within the tolerance.
"""

from __future__ import annotations

from hpcagent.records import Proposal
from hpcagent.tools.loops import vectorizer
from hpcagent.tools.loops.calls import PURE
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.proposals import starts_line
from hpcagent.tools.loops.verdict import FileAnalyzer, LoopFacts
from hpcagent.tools.patch import insert_before

SIMD_CLAUSES = ("reduction(", "private(", "lastprivate(")
"""The clauses of an inner loop that carry over to its `omp simd` (firstprivate and the rest do not exist there)."""


def _vectorizable(fa: FileAnalyzer, facts: dict[int, LoopFacts], inner: Loop, data: bytes) -> list[str] | None:
    """The `omp simd` clauses of an innermost loop the compiler left scalar and the analysis proved; None if not."""
    mine = facts.get(inner.node.id)
    if inner.children or inner.kind != "for" or inner.omp or mine is None or not mine.parallel:
        return None
    if vectorizer.state(data, inner.line) not in ("missed", "in-order") or not starts_line(fa.src, inner):
        return None
    if mine.array_clauses or mine.atomics or any(name not in PURE for name in mine.calls):
        return None
    return [c for c in mine.clauses if c.startswith(SIMD_CLAUSES)]


def simd_candidates(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop: Loop, file: str,
                    top: Proposal | None) -> list[Proposal]:
    """The nest's top `parallel for` (top: a plain pragma at loop's line) with `omp simd` on its innermost loops
    that the compiler reported not vectorized; [] when the file has no report or no loop qualifies."""
    if top is None or top.kind != "pragma" or top.line != loop.line or not top.pragma or len(top.edits) != 1:
        return []
    data = fa.src.raw if fa.src.raw is not None else fa.src.text
    if loop.kind != "for":
        return []
    if not loop.children:
        clauses = _vectorizable(fa, facts, loop, data)
        if clauses is None:
            return []
        text = top.pragma.replace("#pragma omp parallel for", "#pragma omp parallel for simd", 1)
        why = "the compiler did not vectorize this loop, which the analysis proved free of dependences"
        return [_proposal(top, text, [insert_before(file, loop.line, text, fa.src.lines)], why)]
    edits = list(top.edits)
    where = []
    collapsed = next((int(c[9:-1]) for c in top.clauses if c.startswith("collapse(") and c[9:-1].isdigit()), 1)
    for inner in loop.descendants():
        if inner.depth < loop.depth + collapsed:
            continue  # a line between collapsed loops would break their perfect nest
        clauses = _vectorizable(fa, facts, inner, data)
        if clauses is None:
            continue
        edits.append(insert_before(file, inner.line, " ".join(["#pragma omp simd", *clauses]), fa.src.lines))
        where.append(str(inner.line))
    if not where:
        return []
    why = (f"the compiler did not vectorize the inner loop(s) at line {', '.join(where)}, which the analysis proved "
           "free of dependences")
    return [_proposal(top, top.pragma, edits, why)]


def _proposal(top: Proposal, pragma: str, edits: list, why: str) -> Proposal:
    prop = Proposal(top.file, top.line, top.end_line, "rewrite", pragma, list(top.clauses), edits,
                    top.confidence * 0.9, f"{top.reason}; omp simd: {why}", top.source)
    prop.proof, prop.locality = top.proof, "simd"
    return prop
