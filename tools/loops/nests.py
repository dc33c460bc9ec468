"""Find the loops of a parsed file, their nesting and their OpenMP canonical form (index, bounds, step)."""

from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter as ts

from hpcagent.tools.loops.affine import Affine, to_affine
from hpcagent.tools.loops.cparse import (
    LOOP_TYPES,
    Source,
    declarator_name,
    end_line_of,
    functions,
    line_of,
    under_omp,
    walk,
)

KINDS = {"for_statement": "for", "while_statement": "while", "do_statement": "do", "for_range_loop": "range"}
RELATIONS = {"<", "<=", ">", ">=", "!="}


@dataclass(eq=False)
class Loop:
    """One loop statement and what its header says."""

    node: ts.Node
    kind: str
    function: str
    fn_node: ts.Node
    depth: int = 1
    parent: Loop | None = None
    children: list[Loop] = field(default_factory=list)
    index: str | None = None
    index_declared: bool = False
    """The index is declared in the header (for (int i = ...)), so it is private to the loop anyway."""
    lower: Affine | None = None
    upper: Affine | None = None
    """Inclusive bounds of the index (whatever the direction), as affine expressions when they are."""
    bound_nodes: list[ts.Node] = field(default_factory=list)
    step: int | None = None
    canonical: bool = False
    why_not: str = ""
    omp: str | None = None

    @property
    def line(self) -> int:
        return line_of(self.node)

    @property
    def end_line(self) -> int:
        return end_line_of(self.node)

    @property
    def body(self) -> ts.Node | None:
        return self.node.child_by_field_name("body")

    def trip_count(self) -> int | None:
        """Iterations when the bounds are integer constants."""
        if self.lower is None or self.upper is None or not self.step:
            return None
        if not (self.lower.is_const() and self.upper.is_const()):
            return None
        span = self.upper.constant - self.lower.constant
        return max(0, span // abs(self.step) + 1)

    def ancestors(self) -> list[Loop]:
        out, cur = [], self.parent
        while cur is not None:
            out.append(cur)
            cur = cur.parent
        return out

    def descendants(self) -> list[Loop]:
        out = []
        for child in self.children:
            out.append(child)
            out.extend(child.descendants())
        return out


def _index_and_init(src: Source, init: ts.Node | None) -> tuple[str | None, ts.Node | None, bool]:
    if init is None:
        return None, None, False
    if init.type == "declaration":
        decls = init.children_by_field_name("declarator")
        if len(decls) == 1 and decls[0].type == "init_declarator":
            return declarator_name(src, decls[0]), decls[0].child_by_field_name("value"), True
    if init.type == "assignment_expression" and src.text_of(init.child_by_field_name("operator")) == "=":
        left = init.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            return src.text_of(left), init.child_by_field_name("right"), False
    return None, None, False


def _step(src: Source, update: ts.Node | None, index: str) -> int | str | None:
    """Return the constant step, None for an invariant non-constant step, or 'bad' for a non-canonical update."""
    if update is None:
        return "bad"
    if update.type == "update_expression" and src.text_of(update.child_by_field_name("argument")) == index:
        return 1 if "++" in src.text_of(update) else -1
    if update.type == "assignment_expression" and src.text_of(update.child_by_field_name("left")) == index:
        op = src.text_of(update.child_by_field_name("operator"))
        right = update.child_by_field_name("right")
        if op in ("+=", "-="):
            value = to_affine(src, right)
            if value is not None and value.is_const():
                return value.constant if op == "+=" else -value.constant
            return None
        if op == "=" and right is not None and right.type == "binary_expression":
            diff = to_affine(src, right)
            if diff is not None and diff.coef(index) == 1:
                rest = diff - Affine.var(index)
                return rest.constant if rest.is_const() else None
    return "bad"


def _canonical_for(src: Source, loop: Loop) -> None:
    node = loop.node
    index, init_value, declared = _index_and_init(src, node.child_by_field_name("initializer"))
    cond = node.child_by_field_name("condition")
    if index is None:
        loop.why_not = "no single index initialised in the header"
        return
    loop.index, loop.index_declared = index, declared
    if cond is None or cond.type != "binary_expression":
        loop.why_not = "the condition is not a comparison of the index"
        return
    op = src.text_of(cond.child_by_field_name("operator"))
    left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
    if op not in RELATIONS:
        loop.why_not = f"the condition uses {op!r}, not a relational operator"
        return
    if src.text_of(left) != index:
        if src.text_of(right) != index:
            loop.why_not = "the condition does not compare the index"
            return
        left, right = right, left
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "!=": "!="}[op]
    step = _step(src, node.child_by_field_name("update"), index)
    if step == "bad":
        loop.why_not = "the update is not an increment of the index by a loop-invariant amount"
        return
    loop.step = step if isinstance(step, int) else None
    if loop.step == 0:
        loop.why_not = "the step is zero"
        return
    loop.bound_nodes = [n for n in (init_value, right) if n is not None]
    start, limit = to_affine(src, init_value), to_affine(src, right)
    up = (loop.step or 1) > 0
    if op == "!=" and abs(loop.step or 0) != 1:
        loop.why_not = "'!=' condition with a step other than 1"
        return
    if (op in ("<", "<=") and not up) or (op in (">", ">=") and up):
        loop.why_not = "the step goes away from the bound"
        return
    if start is not None and limit is not None:
        last = {"<": limit - Affine.const(1), "<=": limit, ">": limit + Affine.const(1), ">=": limit,
                "!=": limit - Affine.const(1 if up else -1)}[op]
        loop.lower, loop.upper = (start, last) if up else (last, start)
    loop.canonical = True


def _analyse_header(src: Source, loop: Loop) -> None:
    if loop.kind == "for":
        _canonical_for(src, loop)
    elif loop.kind == "range":
        loop.index = declarator_name(src, loop.node.child_by_field_name("declarator"))
        loop.index_declared, loop.canonical = True, True
        right = loop.node.child_by_field_name("right")
        loop.bound_nodes = [right] if right is not None else []
    else:
        loop.why_not = f"a {loop.kind} loop is not in OpenMP canonical form (no for header with an index)"


def find_loops(src: Source) -> list[Loop]:
    """Return every loop of every function, outer loops before their inner loops, with nesting filled in."""
    out: list[Loop] = []
    for name, fn in functions(src):
        by_node: dict[int, Loop] = {}
        for node in walk(fn):
            if node.type not in LOOP_TYPES:
                continue
            parent_node = node.parent
            while parent_node is not None and parent_node.id not in by_node and parent_node.id != fn.id:
                parent_node = parent_node.parent
            parent = by_node.get(parent_node.id) if parent_node is not None else None
            loop = Loop(node, KINDS[node.type], name, fn, parent=parent,
                        depth=(parent.depth + 1) if parent else 1)
            if parent is not None:
                parent.children.append(loop)
            _analyse_header(src, loop)
            loop.omp = under_omp(src, node)
            by_node[node.id] = loop
            out.append(loop)
    return out


COST = {"binary_expression": 1, "assignment_expression": 1, "subscript_expression": 1, "call_expression": 8,
        "update_expression": 1}
ASSUMED_TRIP = 32


def body_cost(src: Source, node: ts.Node | None, loops: dict[int, Loop]) -> int:
    """Rough operations per iteration; inner loops count their trip count (or an assumed one) times their body."""
    if node is None:
        return 0
    if node.type in LOOP_TYPES and node.id in loops:
        inner = loops[node.id]
        return (inner.trip_count() or ASSUMED_TRIP) * max(1, body_cost(src, inner.body, loops))
    return COST.get(node.type, 0) + sum(body_cost(src, child, loops) for child in node.children)
