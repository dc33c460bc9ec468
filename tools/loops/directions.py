"""Direction vectors of a perfect loop nest, and what they allow: which loop orders and which tilings are legal.

A perfect band is a chain of `for` loops, each the only statement of the one above, in canonical form with step 1
and bounds that do not depend on the band's other indices (a rectangle). For every pair of memory accesses in the
innermost body, at least one a write, every direction vector (one of <, =, > per loop: how the iteration of the
first access compares with the iteration of the second) is tested for a solution of "same element, both iterations
inside the bounds" over the rationals (Fourier-Motzkin, tools/loops/feasibility.py); an unsolvable system proves
that direction impossible, anything else keeps it. The vectors kept are turned source-to-sink (lexicographically
positive); all-'=' vectors are dependences inside one iteration, which no reordering of the loops changes.

- A loop order (a permutation of the band) is legal when every vector, reordered, is still lexicographically
  positive: no dependence is reversed (Allen & Kennedy, ch. 5).
- Tiling the band is legal when it is fully permutable: no vector has a '>' anywhere (every order is legal, so the
  tile loops and the point loops may be walked in any order).
- A loop of the band can run in parallel when every vector not already carried by an outer loop has '=' there.

Whenever anything in the nest is outside what this models (a call that is not a pure math function, a scalar
written in the nest and declared outside it, a pointer that may alias another, a subscript that is not affine,
an access outside the innermost body), `band_dependences` answers with the reason instead, and nothing is proposed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hpcagent.tools.loops.access import Scanner
from hpcagent.tools.loops.affine import Affine
from hpcagent.tools.loops.array_reduction import only_header_writes
from hpcagent.tools.loops.calls import PURE
from hpcagent.tools.loops.feasibility import feasible
from hpcagent.tools.loops.memory import MemoryAnalysis, root_name
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.proposals import names_in, only_child_loop
from hpcagent.tools.loops.verdict import FileAnalyzer

Vector = tuple[str, ...]
MAX_DEPTH = 3
"""Bands deeper than this are cut: 3 loops give 27 direction vectors per pair and 6 orders."""


def perfect_band(fa: FileAnalyzer, loop: Loop) -> list[Loop]:
    """loop and the loops perfectly nested under it that form a rectangular band (at most MAX_DEPTH)."""
    band = [loop]
    if not _simple(loop):
        return []
    while len(band) < MAX_DEPTH:
        inner = only_child_loop(band[-1])
        if inner is None or not _simple(inner):
            break
        if names_in(fa.src, inner) & {lp.index for lp in band}:
            break  # bounds in an outer index: a triangle, not a rectangle
        band.append(inner)
    return band


def _simple(loop: Loop) -> bool:
    return (loop.kind == "for" and loop.canonical and loop.step == 1 and not loop.omp and loop.index is not None
            and loop.lower is not None and loop.upper is not None)


@dataclass
class BandDeps:
    band: list[Loop]
    vectors: set[Vector]
    """The lexicographically positive direction vectors of the dependences the band carries."""

    def legal_order(self, order: tuple[int, ...]) -> bool:
        """True if walking the band's loops in this order (indices into band, outermost first) reverses nothing."""
        return all(_positive(tuple(v[k] for k in order)) for v in self.vectors)

    def fully_permutable(self) -> bool:
        return all(">" not in v for v in self.vectors)

    def parallel_at(self, order: tuple[int, ...], position: int) -> bool:
        """True if the loop at this position of the order carries no dependence (the outer ones carry the rest)."""
        for v in self.vectors:
            moved = tuple(v[k] for k in order)
            if all(d == "=" for d in moved[:position]) and moved[position] != "=":
                return False
        return True


def _positive(v: Vector) -> bool:
    """Lexicographically positive or all '=' (the first direction that is not '=' is '<')."""
    first = next((d for d in v if d != "="), "=")
    return first != ">"


def _flip(v: Vector) -> Vector:
    return tuple({"<": ">", ">": "<", "=": "="}[d] for d in v)


def band_dependences(fa: FileAnalyzer, band: list[Loop]) -> BandDeps | str:
    """The direction vectors of band, or the reason they cannot be known."""
    top, inner = band[0], tuple(band[1:])
    facts = Scanner(fa.src, fa.by_node).scan(top)
    if facts.exits or facts.io:
        return "the nest exits early or does I/O"
    odd = sorted({name for name, _ in facts.calls if name not in PURE})
    if odd or facts.methods:
        return f"the nest calls {', '.join(odd) or 'member functions'}"
    indices = {lp.index for lp in band}
    outside = sorted(facts.writes() - facts.declared - indices)
    if outside:
        return f"{outside[0]} is written in the nest and declared outside it"
    if not all(only_header_writes(facts, lp) for lp in band):
        return "a loop index is written in the body"
    symbols = fa.symbols(top)
    memory = MemoryAnalysis(fa.src, top, facts, symbols, fa.env(top, facts), fa.distinct(top))
    accesses = []
    for m in facts.mem:
        if root_name(m.base) in facts.declared:
            return f"{m.base} is declared inside the nest"
        if m.inner != inner or m.via != "subscript" or "->" in m.base or "." in m.base:
            return f"{fa.src.text_of(m.node)} is not a plain array access in the innermost body"
        accesses.append(m)
    vectors: set[Vector] = set()
    for w in [m for m in accesses if m.write]:
        for a in accesses:
            if a.base != w.base:
                if memory.alias(w.base, a.base) != "no":
                    return f"{w.base} and {a.base} may alias"
                continue
            found = _pair_vectors(memory, band, w, a)
            if found is None:
                return f"{fa.src.text_of(w.node)} vs {fa.src.text_of(a.node)}: subscripts not affine"
            vectors |= found
    return BandDeps(band, vectors)


def _pair_vectors(memory: MemoryAnalysis, band: list[Loop], w, a) -> set[Vector] | None:
    d1, _ = memory.dims(w, "1")
    d2, r = memory.dims(a, "2")
    if len(d1) != len(d2) or any(x is None for x in d1 + d2):
        return None
    diffs = [x - y for x, y in zip(d1, d2)]  # type: ignore[operator]
    if len(diffs) == 1 and any(len(m) > 1 for m in diffs[0].terms):
        split = memory.delinearize(d1[0], d2[0], r)  # type: ignore[arg-type]
        diffs = split if split is not None else diffs
    if any(len(m) > 1 for h in diffs for m in h.terms):
        return None
    bounds = memory.bound_rows(("1", w), ("2", a))
    out: set[Vector] = set()
    for v in itertools.product("<=>", repeat=len(band)):
        order, zero = list(bounds), list(diffs)
        for lp, d in zip(band, v):
            x1, x2 = Affine.var(f"{lp.index}#1"), Affine.var(f"{lp.index}#2")
            if d == "=":
                zero.append(x1 - x2)
            else:
                order.append((x2 - x1 if d == "<" else x1 - x2) - Affine.const(1))
        if feasible(order, zero):
            vec = v if _positive(v) else _flip(v)
            if any(d != "=" for d in vec):
                out.add(vec)
    return out
