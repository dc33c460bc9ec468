"""Additive array updates: histograms (hist[key[i]]++) and sections swept by inner loops (s[j] += in a j loop).

Both become array reductions (with the section size they need) or, for a histogram of unknown size, atomic updates.
"""

from __future__ import annotations

import dataclasses

import tree_sitter as ts

from hpcagent.tools.loops.affine import Affine, to_affine
from hpcagent.tools.loops.cparse import Source, walk
from hpcagent.tools.loops.facts import BodyFacts, MemAccess
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.symbols import Decl

UPDATES = {"+=": "+", "-=": "+", "++": "+", "--": "+"}
JUMPS = {"break_statement", "continue_statement", "goto_statement", "return_statement"}


def _update_op(src: Source, node: ts.Node, name: str) -> str | None:
    """'+' if node (an element of name) is the target of `+=`, `-=`, `++` or `--` whose value does not read name."""
    parent = node.parent
    if parent is None:
        return None
    if parent.type == "update_expression":
        return "+"
    if parent.type == "assignment_expression" and parent.child_by_field_name("left") == node:
        op = UPDATES.get(src.text_of(parent.child_by_field_name("operator")))
        right = parent.child_by_field_name("right")
        if op and not any(n.type == "identifier" and src.text_of(n) == name for n in walk(right)):
            return op
    return None


def update_arrays(src: Source, facts: BodyFacts, indices: set[str], loop: Loop | None = None,
                  symbols: dict[str, Decl] | None = None) -> dict[str, list[ts.Node]]:
    """Arrays whose every access is an additive update at a data-dependent element (hist[key[i]]++), and (given
    the loop and its symbols) arrays whose updates sweep a section fixed by inner loops (affine_section).

    Other affine subscripts (c[i][j] += in a k loop, a[0] += b[i]: one element per iteration) are left out: a
    private copy of the array per thread is the wrong tool for them (a scalar temporary or another loop order is).
    """
    by_base: dict[str, list] = {}
    for m in facts.mem:
        by_base.setdefault(m.base, []).append(m)
    out = {}
    for base, accesses in by_base.items():
        if not base.isidentifier() or any(m.via != "subscript" or m.offset is not None for m in accesses):
            continue
        varying = (facts.writes() | facts.declared) - indices  # values computed in the body, e.g. from data
        if any(all(_fixed(src, s, varying) for s in m.subscripts) for m in accesses):
            if loop is None or symbols is None or affine_section(src, facts, loop, base, symbols) is None:
                continue
        if all(_update_op(src, m.node, base) for m in accesses) and any(m.write for m in accesses):
            out[base] = sorted({m.node.parent for m in accesses}, key=lambda n: n.start_byte)
    return out


def _no_macros(src: Source) -> Source:
    """src without its integer constants, so that affine values keep the names (N) the code writes."""
    return dataclasses.replace(src, constants={})


def _inner_range(src: Source, inner: Loop) -> tuple[Affine, Affine] | None:
    """Inclusive bounds of a unit-step loop's index, keeping macro names (0 .. N - 1 for j < N)."""
    if not inner.canonical or inner.kind != "for" or inner.step not in (1, -1) or len(inner.bound_nodes) != 2:
        return None
    if inner.lower is None or inner.upper is None:
        return None
    start_node, limit_node = inner.bound_nodes
    start, limit = to_affine(_no_macros(src), start_node), to_affine(_no_macros(src), limit_node)
    plain = to_affine(src, limit_node)
    if start is None or limit is None or plain is None:
        return None
    shift = (inner.upper if inner.step == 1 else inner.lower) - plain  # the condition's -1 (j < n) or 0 (j <= n)
    if not shift.is_const():
        return None
    last = limit + shift
    return (start, last) if inner.step == 1 else (last, start)


def _guarded(node: ts.Node, top: ts.Node) -> bool:
    """node runs only under a condition inside top (if, ?:, switch, while/do, short-circuit operands)."""
    cur = node.parent
    while cur is not None and cur.id != top.id:
        if cur.type in ("if_statement", "conditional_expression", "switch_statement", "while_statement",
                        "do_statement", "case_statement"):
            return True
        if cur.type == "binary_expression" and cur.child_by_field_name("operator").type in ("&&", "||"):
            return True
        cur = cur.parent
    return False


def only_header_writes(facts: BodyFacts, inner: Loop) -> bool:
    """The index of inner is written only in loop headers (not in any loop body), so it runs the range in order."""
    for site in facts.sites:
        if site.write and site.name == inner.index:
            header = site.node
            while header is not None and header.type != "for_statement":
                header = header.parent
            body = header.child_by_field_name("body") if header is not None else None
            if body is None or body.start_byte <= site.node.start_byte < body.end_byte:
                return False
    return True


def _swept(src: Source, facts: BodyFacts, loop: Loop, m: MemAccess) -> tuple[Affine, Affine] | None:
    """The inclusive range of elements one access touches in one iteration of loop, as affine values valid at
    loop (names not written in it); None unless it is one affine subscript in indices of enclosing inner loops."""
    if len(m.subscripts) != 1 or m.via != "subscript" or m.offset is not None or _guarded(m.node, loop.node):
        return None
    if loop.body is None or any(n.type in JUMPS for n in walk(loop.body)):
        return None  # an inner loop cut short may not touch its whole range
    varying = facts.writes() | facts.declared | {loop.index or ""}
    swept = subscript_range(src, m, varying, facts)
    if swept is None or not swept[2]:
        return None  # one fixed element per iteration: a scalar temporary fits better
    return swept[0], swept[1]


def subscript_range(src: Source, m: MemAccess, varying: set[str],
                    facts: BodyFacts) -> tuple[Affine, Affine, bool] | None:
    """Inclusive bounds of the elements m's first subscript may take in one iteration, in names outside varying,
    and whether an inner loop's index sweeps it; None unless every varying name is such an index (used linearly)
    of a loop with bounds outside varying whose index only its header writes."""
    value = to_affine(_no_macros(src), m.subscripts[0])
    if value is None:
        return None
    ranges = {}
    for inner in m.inner:
        rng = _inner_range(src, inner) if inner.index else None
        if rng is not None and not (rng[0].variables() | rng[1].variables()) & varying and \
                only_header_writes(facts, inner):
            ranges[inner.index] = rng
    low = high = Affine()
    used = False
    for mono, coef in value.terms.items():
        if not set(mono) & varying:
            low, high = low + Affine({mono: coef}), high + Affine({mono: coef})
            continue
        if len(mono) != 1 or mono[0] not in ranges:
            return None  # the element depends on something else that changes in the loop, or non-linearly
        lo, hi = ranges[mono[0]]
        low, high = low + (lo if coef > 0 else hi).scale(coef), high + (hi if coef > 0 else lo).scale(coef)
        used = True
    return low, high, used


def affine_section(src: Source, facts: BodyFacts, loop: Loop, name: str, symbols: dict[str, Decl]) -> str | None:
    """The array section name[lo:len] that every access to name in loop stays in, as C text valid at loop (just
    name for a declared array: it is reduced whole).

    Every access must be an additive update (`+=`, `-=`, `++`, `--`) whose value does not read name, at one
    affine subscript that does not involve loop's index or anything else that changes per iteration of loop,
    except indices of unit-step inner loops whose bounds do not change either, and not under a condition (the
    section is then what the iteration surely touches, so it lies inside the object). Then iterations only add
    into elements of that section, and `reduction(+:name[lo:len])` gives each thread a private copy of it.
    """
    decl = symbols.get(name)
    if decl is None or decl.kind not in ("array", "pointer") or (decl.kind == "array" and len(decl.dims) != 1):
        return None
    accesses = [m for m in facts.mem if m.base == name]
    if not accesses or not any(m.write for m in accesses):
        return None
    low = high = None
    for m in accesses:
        swept = _swept(src, facts, loop, m) if _update_op(src, m.node, name) else None
        if swept is None:
            return None
        if low is None or high is None:
            low, high = swept
            continue
        dl, dh = swept[0] - low, swept[1] - high
        if not (dl.is_const() and dh.is_const()):
            return None
        low, high = (swept[0] if dl.constant < 0 else low), (swept[1] if dh.constant > 0 else high)
    if low is None or high is None:
        return None
    length = high - low + Affine.const(1)
    if length.is_const() and length.constant <= 0:
        return None
    if decl.kind == "array":
        # a declared array is reduced whole: clang 16 does not privatize a section of a file-scope array (it
        # updates the shared one, a race), and the whole array is as valid for local ones
        return name
    return f"{name}[{c_text(low) if low.terms else ''}:{c_text(length)}]"


def c_text(value: Affine) -> str:
    """value as a C expression: hi - lo, 2*n + 1, -k."""
    out = ""
    for mono, coef in sorted(value.terms.items(), key=lambda kv: (not kv[0], kv[0])):
        size = abs(coef)
        term = "*".join(mono) if size == 1 and mono else "*".join([str(size), *mono])
        sign = "-" if coef < 0 else "+"
        out = (f"{out} {sign} {term}" if out else (f"-{term}" if coef < 0 else term))
    return out or "0"


def _fixed(src: Source, node: ts.Node, varying: set[str]) -> bool:
    """The subscript is affine in the loop indices and invariants (the element follows from the iteration)."""
    value = to_affine(src, node)
    return value is not None and not value.variables() & varying


def _alloc_size(src: Source, value: ts.Node | None) -> ts.Node | None:
    """The element count of malloc(COUNT * sizeof ...) or calloc(COUNT, size)."""
    while value is not None and value.type in ("cast_expression", "parenthesized_expression"):
        value = value.child_by_field_name("value") or value.named_children[-1]
    if value is None or value.type != "call_expression":
        return None
    fn = src.text_of(value.child_by_field_name("function"))
    args = value.child_by_field_name("arguments").named_children
    if fn == "calloc" and len(args) == 2:
        return args[0]
    if fn == "malloc" and len(args) == 1 and args[0].type == "binary_expression":
        left, right = args[0].child_by_field_name("left"), args[0].child_by_field_name("right")
        if src.text_of(args[0].child_by_field_name("operator")) == "*":
            for count, other in ((left, right), (right, left)):
                if other is not None and other.type == "sizeof_expression":
                    return count
    return None


def section_size(src: Source, name: str, decl: Decl | None, fn_writes: dict[str, int]) -> str | None:
    """How many elements name points to, as C text valid at the loop: a declared size or a fixed malloc count."""
    if decl is None:
        return None
    if decl.dims and decl.dims[0] is not None and decl.dims[0].is_const():
        return str(decl.dims[0].constant)
    node = decl.node
    if decl.scope != "local" or not decl.fresh or fn_writes.get(name) or node is None:
        return None
    for d in node.children_by_field_name("declarator"):
        if d.type == "init_declarator" and src.text_of(d.child_by_field_name("declarator")).lstrip("* ") == name:
            count = _alloc_size(src, d.child_by_field_name("value"))
            value = to_affine(src, count)
            if value is not None and value.is_const():
                return str(value.constant)
            names = {src.text_of(n) for n in walk(count)} if count is not None else {""}
            if count is not None and value is not None and not any(fn_writes.get(v) for v in names):
                return src.text_of(count)
    return None


def reduction_clause(name: str, decl: Decl | None, size: str | None) -> str | None:
    """reduction(+:a) for a declared array, reduction(+:p[:size]) for a pointer with a known size."""
    if decl is not None and decl.kind == "array":
        return f"reduction(+:{name})"
    return f"reduction(+:{name}[:{size}])" if size else None
