"""Names whose value is fixed: function-level scalars defined once (w = n + 2) and row pointers (&a[i*n])."""

from __future__ import annotations

import tree_sitter as ts

from hpcagent.tools.loops.affine import Affine, to_affine
from hpcagent.tools.loops.cparse import Source, declarator_name, walk
from hpcagent.tools.loops.facts import BodyFacts
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.symbols import Decl


def written_names(src: Source, node: ts.Node | None) -> dict[str, int]:
    """How often each plain name is assigned, incremented or has its address taken under node."""
    out: dict[str, int] = {}
    for n in walk(node) if node is not None else []:
        target = None
        if n.type == "assignment_expression":
            target = n.child_by_field_name("left")
        elif n.type == "update_expression" or (n.type == "pointer_expression" and src.text_of(n).startswith("&")):
            target = n.child_by_field_name("argument")
        while target is not None and target.type == "parenthesized_expression" and target.named_child_count:
            target = target.named_children[0]
        if target is not None and target.type == "identifier":
            name = src.text_of(target)
            out[name] = out.get(name, 0) + 1
    return out


def function_invariants(src: Source, fn: ts.Node, symbols: dict[str, Decl]) -> dict[str, Affine]:
    """Integer locals of fn declared once with an affine value of unmodified parameters, and never changed."""
    body = fn.child_by_field_name("body")
    writes = written_names(src, fn)
    declared: dict[str, list[ts.Node]] = {}
    for n in walk(body) if body is not None else []:
        if n.type == "declaration":
            for d in n.children_by_field_name("declarator"):
                declared.setdefault(declarator_name(src, d), []).append(d)
    fixed = {name for name, d in symbols.items() if d.scope == "param" and d.kind == "scalar"
             and name not in writes and name not in declared}
    env: dict[str, Affine] = {}
    for name, nodes in declared.items():  # source order: a definition may use an earlier one
        decl = symbols.get(name)
        if len(nodes) != 1 or nodes[0].type != "init_declarator" or writes.get(name):
            continue
        if decl is None or decl.kind != "scalar" or decl.scope != "local":
            continue
        value = to_affine(src, nodes[0].child_by_field_name("value"), env)
        if value is not None and value.variables() <= fixed:
            env[name] = value
            fixed.add(name)
    return env


def _pointee(src: Source, value: ts.Node | None, env: dict[str, Affine]) -> tuple[str, Affine] | None:
    """(array, offset) for `&a[e]`, `a + e` or `e + a` with e affine; None otherwise."""
    while value is not None and value.type in ("parenthesized_expression", "cast_expression"):
        value = value.child_by_field_name("value") or value.named_children[-1]
    if value is None:
        return None
    if value.type == "pointer_expression" and src.text_of(value).startswith("&"):
        sub = value.child_by_field_name("argument")
        if sub is not None and sub.type == "subscript_expression":
            base, index = sub.child_by_field_name("argument"), sub.child_by_field_name("index")
            if index is None:
                holder = sub.child_by_field_name("indices")
                index = holder.named_children[0] if holder is not None and holder.named_children else None
            offset = to_affine(src, index, env)
            if base is not None and base.type == "identifier" and offset is not None:
                return src.text_of(base), offset
        return None
    if value.type == "binary_expression" and src.text_of(value.child_by_field_name("operator")) == "+":
        left, right = value.child_by_field_name("left"), value.child_by_field_name("right")
        for base, other in ((left, right), (right, left)):
            offset = to_affine(src, other, env)
            if base is not None and base.type == "identifier" and offset is not None:
                return src.text_of(base), offset
    return None


def row_pointers(src: Source, loop: Loop, facts: BodyFacts, symbols: dict[str, Decl],
                 env: dict[str, Affine]) -> dict[str, tuple[str, Affine]]:
    """Pointers fixed during one iteration of loop, `row = &a[e]` or `a + e`: name -> (a, e).

    Declared once in the function and never changed: either in loop's body, or around the loop where every
    name in e is a parameter or local the function never changes, or an index of an enclosing loop.
    """
    out: dict[str, tuple[str, Affine]] = {}
    fn_writes = written_names(src, loop.fn_node)
    writes = facts.writes()
    outer = {lp.index for lp in loop.ancestors() if lp.index}
    def visible(decl: ts.Node) -> bool:  # declared in the loop, or in a block around it
        block = decl.parent.parent if decl.parent is not None else None
        inside = loop.node.start_byte <= decl.start_byte < loop.node.end_byte
        return inside or (block is not None and block.start_byte <= loop.node.start_byte < block.end_byte)

    decls = [d for n in walk(loop.fn_node) if n.type == "declaration" for d in n.children_by_field_name("declarator")]
    decls = [d for d in decls if visible(d)]
    count: dict[str, int] = {}
    for d in decls:
        count[declarator_name(src, d)] = count.get(declarator_name(src, d), 0) + 1
    for n in decls:
        name = declarator_name(src, n)
        inside = loop.node.start_byte <= n.start_byte < loop.node.end_byte
        target = n.child_by_field_name("declarator") if n.type == "init_declarator" else None
        if target is None or target.type != "pointer_declarator" or count[name] != 1:
            continue
        if name in writes or name in facts.address_taken or (not inside and fn_writes.get(name)):
            continue
        found = _pointee(src, n.child_by_field_name("value"), env if inside else {})
        if found is None or found[0] in writes or fn_writes.get(found[0]):
            continue
        if not inside and any(v not in outer and (fn_writes.get(v) or v not in symbols)
                              for v in found[1].variables()):
            continue
        base = symbols.get(found[0])
        # only one-dimensional storage: a pointer, or an array declared with one size
        if base is not None and (base.kind == "pointer" or (base.kind == "array" and len(base.dims) == 1)):
            out[name] = found
    return out
