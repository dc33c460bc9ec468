"""Scratch arrays: work arrays that each iteration of a loop fills before it reads them (privatized as local arrays).

In `for (q...) { for (p...) sum[p] = 0; ...; A[q][p] = sum[p]; }` every iteration writes and reads the same
elements of sum, a dependence between iterations on the storage only: no value flows from one iteration to the
next. Declaring `double sum[N];` as the first line of the loop body gives each iteration (each thread) its own copy
and removes the dependence, without renaming (the local array shadows the outer name).

The rule used here is a sufficient one. For a loop L whose body is a compound statement and an array or pointer X
accessed only as X[e] (one subscript, not handed to calls, its address or value not taken):
- the first statement of L's body that names X is a unit-step for loop S whose bounds do not change in L and which
  has no jump; every access to X inside S is an unconditional `X[c + i] = value` (or c - i) in S's own body, i
  being S's index and c not changing in L, with a value that does not read X: S writes a contiguous range R;
- every other access to X in the body lies in R (affine subscripts in invariant names and indices of unit-step
  inner loops with invariant bounds), R starts at a non-negative constant and ends below a constant <= 16384;
- nothing reads X after L before overwriting it, and X shares no storage with another name L accesses.
Then each iteration reads only elements it wrote itself. X is proven scratch only if it is a local array or a
local pointer to freshly allocated memory that no other name can reach; for a parameter or a global the caller
could read the last contents after the call, which the local copy leaves unchanged: such a candidate is unproven.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import tree_sitter as ts

from hpcagent.tools.loops.affine import Affine, to_affine
from hpcagent.tools.loops.array_reduction import (
    JUMPS,
    _guarded,
    _inner_range,
    _no_macros,
    c_text,
    only_header_writes,
    subscript_range,
)
from hpcagent.tools.loops.calls import PURE, THREAD_SAFE
from hpcagent.tools.loops.cparse import Source, declarator_name, walk
from hpcagent.tools.loops.facts import BodyFacts, MemAccess
from hpcagent.tools.loops.invariants import written_names
from hpcagent.tools.loops.memory import MemoryAnalysis, root_name
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.symbols import Decl

if TYPE_CHECKING:
    from hpcagent.tools.loops.verdict import FileAnalyzer, LoopFacts

MAX_ELEMENTS = 16384
"""The largest private copy declared on each thread's stack (elements)."""
FREE_FUNCTIONS = {"free", "_mm_free"}


@dataclass
class Scratch:
    """One array to privatize in a loop."""

    name: str
    element: str
    """The element type as C text (double, struct cell)."""
    size: str
    """The element count as C text valid at the loop (NP, 2*N + 1)."""
    count: int
    """Its value."""
    proven: bool
    """Local storage of the function that nothing reads after the loop (else a parameter, a global or a pointer
    whose storage other names may reach: the caller could see the last contents)."""

    @property
    def declaration(self) -> str:
        return f"{self.element} {self.name}[{self.size}];"

    @property
    def obstacle(self) -> str:
        return f"{self.name}'s contents after the loop change (it becomes a per-thread local array)"


def _element_type(src: Source, decl: Decl) -> str | None:
    """The element type of a one-level pointer or one-dimensional array declaration (None for anything else)."""
    node = next((d for d in decl.node.children_by_field_name("declarator")
                 if declarator_name(src, d) == decl.name), None) if decl.node is not None else None
    if node is not None and node.type == "init_declarator":
        node = node.child_by_field_name("declarator")
    if node is None or node.type not in ("pointer_declarator", "array_declarator"):
        return None
    inner = node.child_by_field_name("declarator")
    if inner is None or inner.type != "identifier" or not decl.type_text.strip():
        return None
    return " ".join(decl.type_text.split())


def _only_subscripted(src: Source, top: ts.Node, name: str, allow_free: bool = False) -> bool:
    """Every occurrence of name under top is the array of a subscript (or, with allow_free, also its declaration,
    free's argument, a sizeof operand or a null test): no pointer to its storage is made or handed on."""
    for node in walk(top):
        if node.type != "identifier" or src.text_of(node) != name:
            continue
        parent = node.parent
        if parent is None:
            return False
        if parent.type == "subscript_expression" and parent.child_by_field_name("argument") == node:
            continue
        if allow_free and (_freed(src, node) or _in_sizeof(node) or _declares(node) or _tested(src, node)):
            continue
        return False
    return True


def _in_sizeof(node: ts.Node) -> bool:
    cur = node.parent
    while cur is not None and not cur.type.endswith("statement"):
        if cur.type == "sizeof_expression":
            return True
        cur = cur.parent
    return False


def _declares(node: ts.Node) -> bool:
    """node is the name a declaration declares (not in its initial value)."""
    cur = node
    while cur.parent is not None and any(c.id == cur.id for c in cur.parent.children_by_field_name("declarator")):
        cur = cur.parent
        if cur.type in ("init_declarator", "declaration", "parameter_declaration"):
            return True
    return False


def _tested(src: Source, node: ts.Node) -> bool:
    """node is only tested against null (!p, p == NULL, if (p), p && ...): its value goes nowhere."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "unary_expression":
        return src.text_of(parent.child_by_field_name("operator")) == "!"
    if parent.type == "binary_expression":
        return src.text_of(parent.child_by_field_name("operator")) in ("==", "!=", "&&", "||")
    if parent.type in ("parenthesized_expression", "condition_clause"):
        return parent.parent is not None and parent.parent.type in ("if_statement", "while_statement")
    return False


def _freed(src: Source, node: ts.Node) -> bool:
    """node is the argument of free(node)."""
    args = node.parent
    call = args.parent if args is not None else None
    return (args is not None and args.type == "argument_list" and call is not None
            and call.type == "call_expression" and src.text_of(call.child_by_field_name("function")) in FREE_FUNCTIONS
            and len(args.named_children) == 1)


def _values(src: Source, value: Affine) -> Affine | None:
    """value with the file's integer constants (macros, enums, const globals) substituted."""
    return value.substitute({k: Affine.const(v) for k, v in src.constants.items()})


def _range(src: Source, m: MemAccess, varying: set[str], facts: BodyFacts) -> tuple[Affine, Affine] | None:
    """Inclusive bounds of the elements one access may touch in one iteration, in names that do not change."""
    rng = subscript_range(src, m, varying, facts)
    return None if rng is None else (rng[0], rng[1])


def _within(src: Source, inner: tuple[Affine, Affine], outer: tuple[Affine, Affine]) -> bool:
    """inner lies inside outer, the file's integer constants (a TAPS macro) substituted."""
    below, above = _values(src, inner[0] - outer[0]), _values(src, outer[1] - inner[1])
    return (below is not None and above is not None and below.is_const() and above.is_const()
            and below.constant >= 0 and above.constant >= 0)


def _first_fill(src: Source, loop: Loop, facts: BodyFacts, name: str, accesses: list[MemAccess],
                varying: set[str]) -> tuple[Loop, tuple[Affine, Affine]] | None:
    """The loop S of the first statement naming name, and the contiguous range R it surely writes."""
    body = loop.body
    if body is None:
        return None
    first = next((s for s in body.named_children if s.type != "comment"
                  and any(n.type == "identifier" and src.text_of(n) == name for n in walk(s))), None)
    fill = next((lp for lp in loop.children if first is not None and lp.node.id == first.id), None)
    if fill is None or fill.kind != "for" or not fill.canonical or fill.step not in (1, -1) or not fill.index:
        return None
    if fill.body is None or any(n.type in JUMPS for n in walk(fill.body)) or not only_header_writes(facts, fill):
        return None
    rng = _inner_range(src, fill)
    if rng is None or (rng[0].variables() | rng[1].variables()) & varying:
        return None
    spans: list[tuple[Affine, Affine]] = []
    for m in accesses:
        if not (fill.node.start_byte <= m.node.start_byte < fill.node.end_byte):
            continue
        parent = m.node.parent
        if (not m.write or parent is None or parent.type != "assignment_expression"
                or parent.child_by_field_name("left") != m.node
                or src.text_of(parent.child_by_field_name("operator")) != "="
                or any(n.type == "identifier" and src.text_of(n) == name
                       for n in walk(parent.child_by_field_name("right")))
                or not m.inner or m.inner[-1].node.id != fill.node.id or _guarded(m.node, fill.node)):
            return None  # in S, name is only assigned, unconditionally, in S's own body
        value = to_affine(_no_macros(src), m.subscripts[0])
        coef = value.coef(fill.index) if value is not None else None
        if value is None or coef not in (1, -1):
            return None
        rest = value - Affine.var(fill.index).scale(coef)
        if rest.variables() & varying:
            return None
        span = (rest + rng[0], rest + rng[1]) if coef == 1 else (rest - rng[1], rest - rng[0])
        spans.append(span)
    if not spans or not all(_within(src, span, spans[0]) for span in spans):
        return None  # R is the first write's range; the others in S stay inside it
    return fill, spans[0]


def scratch_array(src: Source, loop: Loop, facts: BodyFacts, symbols: dict[str, Decl], name: str,
                  effects: dict) -> Scratch | None:
    """name as a scratch array of loop (see the module rule), without the checks after the loop and on aliasing."""
    decl = symbols.get(name)
    body = loop.body
    if decl is None or decl.kind not in ("array", "pointer") or body is None or body.type != "compound_statement":
        return None
    if name in facts.declared or name in facts.writes() or name in facts.address_taken:
        return None
    element = _element_type(src, decl)
    accesses = [m for m in facts.mem if root_name(m.base) == name]
    if element is None or not accesses or any(m.base != name or m.via != "subscript" or len(m.subscripts) != 1
                                              or m.offset is not None for m in accesses):
        return None
    if not _only_subscripted(src, body, name) or any(n.type in ("goto_statement", "labeled_statement")
                                                      for n in walk(body)):
        return None
    if any(n.type == "identifier" and src.text_of(n) == name and not body.start_byte <= n.start_byte < body.end_byte
           for n in walk(loop.node)):
        return None  # the header reads it: the local copy would not be seen there
    varying = facts.writes() | facts.declared | {loop.index or ""}
    found = _first_fill(src, loop, facts, name, accesses, varying)
    if found is None:
        return None
    fill, covered = found
    for m in accesses:
        if fill.node.start_byte <= m.node.start_byte < fill.node.end_byte:
            continue
        rng = _range(src, m, varying, facts)
        if rng is None or not _within(src, rng, covered):
            return None
    low, size = _values(src, covered[0]), _values(src, covered[1] + Affine.const(1))
    if low is None or size is None or not low.is_const() or not size.is_const():
        return None
    if low.constant < 0 or not 0 < size.constant <= MAX_ELEMENTS or low.constant >= size.constant:
        return None
    if decl.scope == "global" and not all(_leaves_alone(call, name, effects) for call, _ in facts.calls):
        return None
    proven = decl.scope == "local" and not _static(src, decl) and (decl.kind == "array" or decl.fresh) and not written_names(
        src, loop.fn_node).get(name) and _only_subscripted(src, loop.fn_node, name, allow_free=True)
    return Scratch(name, element, c_text(covered[1] + Affine.const(1)), size.constant, proven)


def _static(src: Source, decl: Decl) -> bool:
    """A local declared static (or extern): it outlives the call, so a later call may read its contents."""
    return decl.node is not None and any(c.type == "storage_class_specifier" and src.text_of(c) != "register"
                                         for c in decl.node.children)


def _leaves_alone(call: str, name: str, effects: dict) -> bool:
    """A call that can neither read nor write the global name."""
    if call in PURE or call in THREAD_SAFE:
        return True
    eff = effects.get(call)
    return eff is not None and eff.pure and name not in eff.reads_globals


CONDITIONAL = ("if_statement", "switch_statement", "conditional_expression", "while_statement", "do_statement",
               "for_statement", "for_range_loop", "case_statement")


def _unconditional(node: ts.Node, loop: Loop) -> bool:
    """node runs whenever the code around loop does: no condition or loop between it and their common block."""
    cur = node.parent
    while cur is not None and not (cur.start_byte <= loop.node.start_byte and loop.node.end_byte <= cur.end_byte):
        if cur.type in CONDITIONAL or (cur.type == "binary_expression"
                                       and cur.child_by_field_name("operator").type in ("&&", "||")):
            return False
        cur = cur.parent
    return True


def read_after(src: Source, loop: Loop, name: str) -> bool:
    """name may be read after loop (or before it in a later iteration of an enclosing loop) before it is freed or
    pointed elsewhere: the first occurrence in each region decides, as in FileAnalyzer.live_after."""
    regions = [(loop.node.end_byte, loop.fn_node.end_byte)]
    regions += [(outer.body.start_byte, loop.node.start_byte) for outer in loop.ancestors() if outer.body]
    for start, end in regions:
        first = next((n for n in walk(loop.fn_node) if n.type == "identifier" and start <= n.start_byte < end
                      and src.text_of(n) == name), None)
        if first is None or (_freed(src, first) and _unconditional(first, loop)):
            continue
        parent = first.parent
        if (parent is not None and _unconditional(first, loop) and parent.type == "assignment_expression"
                and parent.child_by_field_name("left") == first
                and src.text_of(parent.child_by_field_name("operator")) == "="
                and not any(n.type == "identifier" and src.text_of(n) == name
                            for n in walk(parent.child_by_field_name("right")))):
            continue  # the pointer is set to other storage
        return True
    return False


def privatize(fa: FileAnalyzer, out: LoopFacts, memory: MemoryAnalysis, others: list[tuple[str, str]]) -> None:
    """Set out.private_arrays (and out.unproven_clauses: the clauses once they are private) for a loop whose only
    obstacle is a dependence on scratch arrays. others: the issues found besides the memory analysis."""
    loop, facts, mem = out.loop, out.body, out.memory
    if out.parallel or others or facts is None or mem is None or mem.status == "independent":
        return
    found: dict[str, Scratch] = {}
    for name in sorted({root_name(m.base) for m in facts.mem}):
        scratch = scratch_array(fa.src, loop, facts, fa.symbols(loop), name, fa.effects)
        if scratch is None or read_after(fa.src, loop, name):
            continue
        if any(memory.alias(name, m.base) != "no" for m in facts.mem if root_name(m.base) != name):
            continue  # another name may reach the same storage
        found[name] = scratch
    if not found:
        return
    rest = copy.copy(memory)
    rest.facts = dataclasses.replace(facts, mem=[m for m in facts.mem if root_name(m.base) not in found])
    alone = rest.run()
    if alone.status != "independent" or set(alone.arrays) != set(mem.arrays):
        return
    out.private_arrays = [found[n] for n in sorted(found)]
    out.unproven_clauses = fa._clauses(out)
    out.obstacle = "; ".join(s.obstacle for s in out.private_arrays if not s.proven)
