"""Array and pointer accesses of one loop: aliasing between names and dependence between accesses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import tree_sitter as ts

from hpcagent.tools.loops.accessors import is_member_function, member_object
from hpcagent.tools.loops.affine import Affine, to_affine
from hpcagent.tools.loops.cparse import Source, declarator_name, walk
from hpcagent.tools.loops.dependence import INF, Dep, Interval, test_dimensions
from hpcagent.tools.loops.facts import BodyFacts, MemAccess
from hpcagent.tools.loops.feasibility import feasible
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.symbols import Decl


@dataclass
class MemoryVerdict:
    status: str
    """independent, dependent or possible."""
    reason: str
    pairs: list[str]
    """Human-readable notes on the pairs that decided it."""
    arrays: list[str] = field(default_factory=list)
    """Arrays left out of the tests because every access is an additive update (array reductions)."""


def root_name(base: str) -> str:
    return re.split(r"->|\.|\[|\s|\(|\)", base.strip("(*& "), maxsplit=1)[0]


def _bound(value: Affine | None) -> float | None:
    return float(value.constant) if value is not None and value.is_const() else None


def min_operand(src: Source, node: ts.Node) -> Affine | None:
    """a for `a > n ? n : a`, `a >= n ? n : a`, `a < n ? a : n` or `a <= n ? a : n` (parentheses allowed) with a
    affine: the value is never above a."""
    while node is not None and node.type == "parenthesized_expression":
        node = node.named_children[0] if node.named_children else None
    if node is None or node.type != "conditional_expression":
        return None
    cond, yes, no = (node.child_by_field_name(f) for f in ("condition", "consequence", "alternative"))
    while cond is not None and cond.type == "parenthesized_expression":
        cond = cond.named_children[0] if cond.named_children else None
    if cond is None or cond.type != "binary_expression":
        return None
    op = src.text_of(cond.child_by_field_name("operator"))
    left, right = (src.text_of(cond.child_by_field_name(f)).strip() for f in ("left", "right"))
    picks = {">": (right, left), ">=": (right, left), "<": (left, right), "<=": (left, right)}.get(op)
    if picks is None or (src.text_of(yes).strip(), src.text_of(no).strip()) != picks:
        return None
    return to_affine(src, cond.child_by_field_name("left"))


def _range(loop: Loop) -> Interval:
    lo, hi = _bound(loop.lower), _bound(loop.upper)
    return (lo if lo is not None else -INF, hi if hi is not None else INF)


def may_alias(a: Decl | None, b: Decl | None) -> str:
    """'no', 'whole' (same object or disjoint: C++ references to containers) or 'partial'."""
    if a is None or b is None:
        return "partial"
    if a.restrict or b.restrict:
        return "no"
    if a.distinct_object and b.distinct_object:
        return "no"
    def own_storage(d: Decl) -> bool:
        return (d.kind == "array" and d.scope == "local") or d.fresh or d.kind == "container"

    for mine, other in ((a, b), (b, a)):
        if own_storage(mine) and not (other.scope == "local" and other.kind == "pointer" and not other.fresh):
            return "no"
    if a.kind in ("ref", "container") and b.kind in ("ref", "container"):
        return "whole"
    return "partial"


class MemoryAnalysis:
    """Tests every write against every access of a loop for loop-carried dependences."""

    def __init__(self, src: Source, loop: Loop, facts: BodyFacts, symbols: dict[str, Decl],
                 env: dict[str, Affine], distinct: set[frozenset[str]] | None = None,
                 invariants: dict[str, Affine] | None = None, rows: dict[str, tuple[str, Affine]] | None = None,
                 updates: set[str] | None = None, by_value: set[str] | None = None):
        self.src, self.loop, self.facts, self.symbols, self.env = src, loop, facts, symbols, env
        self.by_value = by_value or set()
        """C++ data members held by value (accessors.py): two different ones of one object never overlap."""
        self.implicit = is_member_function(src, loop.fn_node)
        """The loop is in a member function: a name it does not declare may be a member of `this`."""
        self.apart = False
        """Test as if no two names could alias (verdict's unproven candidates)."""
        self.distinct = distinct or set()
        """Pairs of pointer parameters that every call site binds to different objects."""
        self.invariants = invariants or {}
        """Function-level names with one fixed value (w = n + 2), for deciding signs of bounds."""
        self.updates = updates or set()
        """Arrays whose every access is an additive update: reductions if nothing else can reach them."""
        self.rows = rows or {}
        """Pointers declared in the body as &a[e]: their accesses are accesses to a, shifted by e."""
        self.written = facts.writes()
        self._caps: dict[str, Affine] | None = None

    def bounds(self, access: MemAccess, tag: str) -> dict[str, tuple[Affine, Affine]]:
        """Symbolic inclusive bounds of the renamed loop indices around one access. An inner loop's bounds read
        through the body's own definitions: `for (i = b_start; i < b_end; i++)` with `b_start = blk * B` and
        `b_end = (blk + 1) * B > n ? n : (blk + 1) * B` (a strip of the loop) runs i over [blk * B, (blk + 1) * B)
        or less."""
        loops = [self.loop, *access.inner]
        rename = {lp.index: f"{lp.index}#{tag}" for lp in loops if lp.index}
        caps = self.caps()
        out = {}
        for lp in loops:
            if not lp.index or lp.lower is None or lp.upper is None:
                continue
            low, high = lp.lower, lp.upper
            if lp is not self.loop:
                high = next((high - Affine.var(v) + cap for v, cap in caps.items() if high.coef(v) == 1), high)
                low, high = low.substitute(self.env) or low, high.substitute(self.env) or high
            out[rename[lp.index]] = (low.rename(rename), high.rename(rename))
        return out

    def caps(self) -> dict[str, Affine]:
        """Body-local names defined once as the smaller of an affine value and something else (`a > n ? n : a`,
        `a < n ? a : n`): the affine value is an upper bound of theirs."""
        if self._caps is None:
            self._caps = {}
            for node in walk(self.loop.body) if self.loop.body is not None else []:
                value = node.child_by_field_name("value") if node.type == "init_declarator" else None
                name = declarator_name(self.src, node) if value is not None else ""
                cap = min_operand(self.src, value) if value is not None and name not in self.written else None
                if cap is not None:
                    self._caps[name] = cap
        return self._caps

    def bound_rows(self, *tagged: tuple[str, MemAccess]) -> list[Affine]:
        """index - lower >= 0 and upper - index >= 0 for every renamed loop index around each (tag, access)."""
        rows = []
        for tag, access in tagged:
            for name, (low, high) in self.bounds(access, tag).items():
                rows += [Affine.var(name) - low, high - Affine.var(name)]
        return rows

    def dims(self, access: MemAccess, tag: str) -> tuple[list[Affine | None], dict[str, Interval]]:
        rename = {self.loop.index: f"{self.loop.index}#{tag}"} if self.loop.index else {}
        ranges: dict[str, Interval] = {}
        if self.loop.index:
            ranges[rename[self.loop.index]] = _range(self.loop)
        for inner in access.inner:
            if inner.index:
                rename[inner.index] = f"{inner.index}#{tag}"
                ranges[rename[inner.index]] = _range(inner)
        out: list[Affine | None] = []
        subs = access.subscripts or []
        if access.via == "deref" and not subs and root_name(access.base) == self.loop.index:
            subs_aff: list[Affine | None] = [Affine.var(self.loop.index)]  # *p with p the loop's pointer index
        elif access.via == "deref" and not subs:
            subs_aff = [Affine()]
        else:
            subs_aff = [to_affine(self.src, node, self.env) for node in subs]
        if access.offset is not None and subs_aff:
            first = subs_aff[0]
            subs_aff[0] = first + access.offset if first is not None else None
        for value in subs_aff:
            if value is None or any(v in self.written and v not in rename for v in value.variables()):
                out.append(None)
            else:
                out.append(value.rename(rename))
        return out, ranges

    def delinearize(self, d1: Affine, d2: Affine, ranges: dict[str, Interval]) -> list[Affine] | None:
        """Split s*P + Q into [P, Q] when 0 <= Q <= s-1 follows from the loop bounds (a[i*n + j] -> a[i][j])."""
        products = [m for m in list(d1.terms) + list(d2.terms) if len(m) == 2]
        if not products:
            return None
        symbols = {v for m in products for v in m if "#" not in v}
        for s in symbols:
            parts = [self._split(d, s) for d in (d1, d2)]
            if all(p is not None for p in parts) and parts[0][2] == parts[1][2]:  # type: ignore[index]
                (p1, q1, _), (p2, q2, _) = parts  # type: ignore[misc]
                return [p1 - p2, q1 - q2]
        return None

    def _fixed(self, value: Affine) -> Affine:
        """value with function-level invariants substituted (w -> n + 2), so signs can be decided."""
        return value.substitute(self.invariants) or value

    def _split(self, d: Affine, s: str) -> tuple[Affine, Affine, int] | None:
        """d = P*(s + k) + Q with 0 <= Q <= s + k - 1 over the loop bounds: (P, Q, k); None if not provable."""
        p, q = Affine(), Affine()
        for mono, coef in d.terms.items():
            if s in mono:
                rest = tuple(v for v in mono if v != s) if mono.count(s) == 1 else None
                if rest is None:
                    return None
                p = p + Affine({rest: coef})
            else:
                q = q + Affine({mono: coef})
        if any(len(m) > 1 for m in list(p.terms) + list(q.terms)):
            return None
        k = self._stride_shift(p, q)
        if k is None:
            return None
        q = q - p.scale(k)  # i*(n+2) + j = i*n + 2*i + j: the row stride is n + 2, the column j
        low, high = Affine.const(q.constant), Affine.const(q.constant)
        loops = {f"{lp.index}#": lp for lp in [self.loop, *self.loop.descendants()] if lp.index}
        for mono, coef in q.terms.items():
            if not mono:
                continue
            loop = loops.get(mono[0].split("#")[0] + "#") if "#" in mono[0] else None
            if loop is None or loop.lower is None or loop.upper is None:
                return None
            lo, hi = (loop.lower, loop.upper) if coef > 0 else (loop.upper, loop.lower)
            low, high = low + lo.scale(coef), high + hi.scale(coef)
        top = self._fixed(Affine.var(s) + Affine.const(k - 1) - high)
        low = self._fixed(low)
        if not (low.is_const() and low.constant >= 0 and top.is_const() and top.constant >= 0):
            return None
        return p, q, k

    @staticmethod
    def _stride_shift(p: Affine, q: Affine) -> int | None:
        """k such that the part of q in p's variables is k times p's (0 if q has none of them)."""
        pvars = p.variables()
        part = Affine({m: c for m, c in q.terms.items() if set(m) & pvars})
        if not part.terms:
            return 0
        lead = next(iter(part.terms))
        if p.terms.get(lead, 0) == 0 or part.terms[lead] % p.terms[lead]:
            return None
        k = part.terms[lead] // p.terms[lead]
        plain = Affine({m: c for m, c in p.terms.items() if m})
        return k if part == plain.scale(k) else None

    def pair(self, w: MemAccess, a: MemAccess) -> Dep:
        d1, r1 = self.dims(w, "1")
        d2, r2 = self.dims(a, "2")
        ranges = {**r1, **r2}
        if len(d1) != len(d2):
            return Dep("possible", "accesses with different numbers of subscripts")
        diffs: list[Affine | None] = []
        for x, y in zip(d1, d2):
            diffs.append(None if x is None or y is None else x - y)
        if len(diffs) == 1 and diffs[0] is not None:
            split = self.delinearize(d1[0], d2[0], ranges)  # type: ignore[arg-type]
            diffs = split if split is not None else diffs
        diffs = [None if h is not None and any(len(m) > 1 for m in h.terms) else h for h in diffs]
        idx = self.loop.index or "?"
        bounds = {**self.bounds(w, "1"), **self.bounds(a, "2")}
        dep = test_dimensions(diffs, f"{idx}#1", f"{idx}#2", ranges, self.loop.step or 1, bounds)
        if dep.status == "dependent" and not all(self._regular(lp) for lp in {*w.inner, *a.inner}):
            dep = Dep("possible", f"{dep.reason}, if the inner loops' iterations meet")
        if dep.status == "possible" and self.loop.index and self._apart_in_bounds(diffs, w, a):
            return Dep("independent", "Fourier-Motzkin: no two iterations meet within the loop bounds")
        return dep

    def _apart_in_bounds(self, diffs: list[Affine | None], w: MemAccess, a: MemAccess) -> bool:
        """Equal subscripts, both iterations inside their loops' bounds and one iteration before the other have
        no rational solution, in either order (the constraints that are not linear, or that involve names the
        loop changes, are left out: fewer constraints can only make the system feasible)."""
        from hpcagent.tools.loops.array_reduction import only_header_writes  # shared with the section reductions

        def steady(value: Affine) -> bool:
            return not any("#" not in v and v in self.written for v in value.variables())

        zero = [h for h in diffs if h is not None and steady(h)]
        if not zero:
            return False
        nonneg = []
        loops = {lp.index: lp for lp in [self.loop, *w.inner, *a.inner] if lp.index}
        for tag, access in (("1", w), ("2", a)):
            for name, (low, high) in self.bounds(access, tag).items():
                inner = loops.get(name.rpartition("#")[0])
                if inner is None or (inner is not self.loop and not only_header_writes(self.facts, inner)):
                    continue
                nonneg += [v for v in (Affine.var(name) - low, high - Affine.var(name)) if steady(v)]
        v1, v2 = Affine.var(f"{self.loop.index}#1"), Affine.var(f"{self.loop.index}#2")
        gap = Affine.const(abs(self.loop.step or 1))
        return all(not feasible([*nonneg, later - first - gap], zero) for first, later in ((v1, v2), (v2, v1)))

    def _regular(self, inner: Loop) -> bool:
        """Inner loop whose iteration space is the same in every iteration of the analysed loop."""
        bounds = {v for b in (inner.lower, inner.upper) if b is not None for v in b.variables()}
        # a bound defined in the body (b_start = blk * B) may change from one iteration to the next
        return (inner.lower is not None and inner.upper is not None and abs(inner.step or 0) == 1
                and not bounds & (self.written | {self.loop.index} | set(self.env) | set(self.caps())))

    def run(self) -> MemoryVerdict:
        accesses = []
        for m in self.facts.mem:
            root = root_name(m.base)
            if root in self.rows and root == m.base and (len(m.subscripts) == 1 or
                                                         (m.via == "deref" and not m.subscripts)):
                base, offset = self.rows[root]
                m = replace(m, base=base, offset=offset)
                root = base
            if root in self.facts.declared:
                decl = self.symbols.get(root)
                if decl is not None and decl.kind == "pointer" and not decl.fresh and not any(
                        x.write and root_name(x.base) == root for x in self.facts.mem):
                    # only read through (`const double *vals = A->vals[i]`): reads of memory it may share with
                    # any name, held against every write of the loop by the aliasing test below
                    accesses.append(m)
                    continue
                if decl is None or not (decl.kind in ("array", "container") or decl.fresh):
                    # a pointer set inside the loop and written through may point anywhere, differently in each
                    # iteration
                    return MemoryVerdict("possible", f"pointer {root} is set inside the loop", [])
                continue  # storage declared in the body is private to the iteration
            accesses.append(m)
        notes: list[str] = []
        worst = "independent"
        rank = {"independent": 0, "possible": 1, "dependent": 2}
        for m in accesses:
            root = root_name(m.base)
            if (m.via == "deref" or "->" in m.base) and root in self.written:
                return MemoryVerdict("possible", f"pointer {root} changes inside the loop", [])
        reduced = [x for x in sorted(self.updates) if all(
            self.alias(x, m.base, deep_b=self._deep(m)) == "no" for m in accesses if m.base != x)]
        accesses = [m for m in accesses if m.base not in reduced]
        for w in [m for m in accesses if m.write]:
            for a in accesses:
                if a.base != w.base:
                    alias = self.alias(w.base, a.base, self._deep(w), self._deep(a))
                    if alias == "no":
                        continue
                    if alias == "partial":
                        note = f"{w.base} and {a.base} may alias (pointers without restrict)"
                        return MemoryVerdict("possible", note, [note])
                dep = self.pair(w, a)
                if dep.status != "independent":
                    kind = "output" if a.write else "flow/anti"
                    text = self.src.text_of
                    notes.append(f"{text(w.node)} (line {w.line}) vs {text(a.node)} (line {a.line}): "
                                 f"{kind} dependence {dep.status}, {dep.reason}")
                    if rank[dep.status] > rank[worst]:
                        worst = dep.status
        reason = notes[0] if notes else "no loop-carried dependence between array accesses"
        return MemoryVerdict(worst, reason, notes, reduced)

    def _deep(self, m: MemAccess) -> bool:
        """m loads a pointer on its way (x[i][j] with x a pointer: x[i] holds the row's address)."""
        decl = self.symbols.get(root_name(m.base))
        return len(m.subscripts) >= 2 and decl is not None and decl.kind == "pointer" and root_name(m.base) == m.base

    def _decl(self, base: str, deep: bool = False) -> Decl | None:
        """The declaration that bounds what base reaches. Through a data member not held by value (table->values[i],
        s->atoms->f) that is a pointer of unknown origin, wherever its root lives: not the root's own storage, not
        its restrict or its fresh allocation (a local root's member may be set to any local storage). So is a row
        reached through a table of pointers (`deep`: x[i][j] with x from malloc, whose rows may be anywhere)."""
        decl = self.symbols.get(root_name(base))
        members = re.split(r"->|\.", base)[1:]
        if decl is None or (not deep and all(re.sub(r"\[.*", "", m).strip() in self.by_value for m in members)):
            return decl
        return Decl(base, "pointer", decl.scope if decl.scope in ("param", "global") else "local")

    def alias(self, a: str, b: str, deep_a: bool = False, deep_b: bool = False) -> str:
        """may_alias between two accessed bases, sharpened by the callers' distinct parameters."""
        one, two = member_object(a, self.symbols, self.implicit), member_object(b, self.symbols, self.implicit)
        if one and two and one[0] == two[0] and one[1] != two[1] and {one[1], two[1]} <= self.by_value:
            return "no"  # mesh.m_x and mesh.m_xd: two vectors of one object
        pair = frozenset((root_name(a), root_name(b)))
        if self.apart and len(pair) == 2:
            return "no"
        alias = may_alias(self._decl(a, deep_a), self._decl(b, deep_b))
        if pair in self.distinct:
            alias = "no"
        if "->" in a or "->" in b:
            alias = "partial" if alias != "no" else alias
        return alias
