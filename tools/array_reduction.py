"""Histogram-style updates (hist[key[i]]++): array reductions, the section size they need, or atomic updates."""

from __future__ import annotations

import tree_sitter as ts

from hpcagent.tools.affine import to_affine
from hpcagent.tools.cparse import Source, walk
from hpcagent.tools.facts import BodyFacts
from hpcagent.tools.symbols import Decl

UPDATES = {"+=": "+", "-=": "+", "++": "+", "--": "+"}


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


def update_arrays(src: Source, facts: BodyFacts, indices: set[str]) -> dict[str, list[ts.Node]]:
    """Arrays whose every access is an additive update at a data-dependent element (hist[key[i]]++).

    Affine subscripts (c[i][j] += in a k loop, a[0] += b[i]) are left out: a private copy of the whole array
    per thread is the wrong tool for them (a scalar temporary or another loop order is).
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
            continue
        if all(_update_op(src, m.node, base) for m in accesses) and any(m.write for m in accesses):
            out[base] = sorted({m.node.parent for m in accesses}, key=lambda n: n.start_byte)
    return out


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
