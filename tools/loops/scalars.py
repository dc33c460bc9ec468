"""Classify the scalars a loop writes: private, lastprivate, reduction, or carried from one iteration to the next."""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts

from hpcagent.tools.loops.cparse import Source, walk
from hpcagent.tools.loops.facts import BodyFacts, ScalarSite
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.symbols import Decl

COMPOUND = {"+=": "+", "-=": "+", "*=": "*", "&=": "&", "|=": "|", "^=": "^", "++": "+", "--": "+"}
BINARY = {"+": "+", "-": "+", "*": "*", "&": "&", "|": "|", "^": "^", "&&": "&&", "||": "||"}
MAXMIN = {"fmax": "max", "fmaxf": "max", "fmaxl": "max", "max": "max", "MAX": "max", "std::max": "max",
          "fmin": "min", "fminf": "min", "fminl": "min", "min": "min", "MIN": "min", "std::min": "min"}
GREATER = {">": True, ">=": True, "<": False, "<=": False}


@dataclass
class ScalarClass:
    """The role of one scalar in a loop."""

    name: str
    role: str
    """private, lastprivate, reduction, carried or unknown."""
    op: str = ""
    reason: str = ""

    @property
    def clause(self) -> str | None:
        if self.role == "reduction":
            return f"reduction({self.op}:{self.name})"
        if self.role in ("private", "lastprivate", "firstprivate"):
            return f"{self.role}({self.name})"
        return None


def _inside(node: ts.Node, container: ts.Node) -> bool:
    return container.start_byte <= node.start_byte and node.end_byte <= container.end_byte


def _unwrap(node: ts.Node | None) -> ts.Node | None:
    while node is not None and node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _mentions(src: Source, node: ts.Node | None, name: str) -> bool:
    return node is not None and any(n.type == "identifier" and src.text_of(n) == name for n in walk(node))


def _chain(src: Source, node: ts.Node, op: str) -> list[ts.Node]:
    """Operands of a left-associated chain of one operator (a + b + c -> [a, b, c])."""
    node = _unwrap(node)
    if node.type == "binary_expression" and src.text_of(node.child_by_field_name("operator")) == op:
        return _chain(src, node.child_by_field_name("left"), op) + _chain(src, node.child_by_field_name("right"), op)
    return [node]


def _compare(src: Source, cond: ts.Node | None) -> tuple[str, str, bool] | None:
    """(bigger-side text, smaller-side text, True) for a comparison; None otherwise."""
    cond = _unwrap(cond)
    if cond is None or cond.type != "binary_expression":
        return None
    op = src.text_of(cond.child_by_field_name("operator"))
    if op not in GREATER:
        return None
    left, right = src.text_of(cond.child_by_field_name("left")), src.text_of(cond.child_by_field_name("right"))
    return (left, right, True) if GREATER[op] else (right, left, True)


def _norm(text: str) -> str:
    return "".join(text.split()).strip("()")


def reduction_op(src: Source, name: str, site: ScalarSite) -> tuple[str, ts.Node] | None:
    """If this write is a reduction update of name, return (operator, the node holding all its reads)."""
    node = site.node
    if site.op in COMPOUND:
        right = node.child_by_field_name("right")
        return None if _mentions(src, right, name) else (COMPOUND[site.op], node)
    if site.op != "=":
        return None
    rhs = _unwrap(node.child_by_field_name("right"))
    if rhs is None:
        return None
    if rhs.type == "binary_expression":
        op = src.text_of(rhs.child_by_field_name("operator"))
        if op in BINARY:
            parts = _chain(src, rhs, op)
            own = [p for p in parts if p.type == "identifier" and src.text_of(p) == name]
            others = [p for p in parts if p not in own]
            if (len(own) == 1 and not any(_mentions(src, p, name) for p in others)
                    and (op != "-" or parts[0] in own)):
                return BINARY[op], node
    if rhs.type == "call_expression":
        fn = src.text_of(rhs.child_by_field_name("function"))
        args = [_unwrap(a) for a in rhs.child_by_field_name("arguments").named_children]
        if fn in MAXMIN and len(args) == 2:
            own = [a for a in args if src.text_of(a) == name]
            if len(own) == 1 and not any(_mentions(src, a, name) for a in args if a not in own):
                return MAXMIN[fn], node
    if rhs.type == "conditional_expression":
        cmp = _compare(src, rhs.child_by_field_name("condition"))
        picks = _norm(src.text_of(rhs.child_by_field_name("consequence")))
        other = _norm(src.text_of(rhs.child_by_field_name("alternative")))
        if cmp and {_norm(cmp[0]), _norm(cmp[1])} == {picks, other} and name in (picks, other):
            return ("max" if _norm(cmp[0]) == picks else "min"), node
    # if (e > m) m = e;  -- the write is the whole branch of an if without else
    stmt = node.parent
    branch = stmt.parent if stmt is not None else None
    if branch is not None and branch.type == "compound_statement" and branch.named_child_count == 1:
        branch = branch.parent
    if branch is not None and branch.type == "if_statement" and branch.child_by_field_name("alternative") is None:
        cmp = _compare(src, branch.child_by_field_name("condition"))
        value = _norm(src.text_of(rhs))
        if cmp and not _mentions(src, rhs, name):
            big, small = _norm(cmp[0]), _norm(cmp[1])
            if (big, small) == (value, name):
                return "max", branch
            if (big, small) == (name, value):
                return "min", branch
    return None


def as_reduction(src: Source, name: str, facts: BodyFacts) -> str | None:
    """Return the reduction operator if every access to name is part of one kind of reduction update."""
    sites = [s for s in facts.sites if s.name == name]
    ops, holders = set(), []
    for site in (s for s in sites if s.write):
        found = reduction_op(src, name, site)
        if found is None:
            return None
        ops.add(found[0])
        holders.append(found[1])
    if len(ops) != 1:
        return None
    if not all(any(_inside(s.node, h) for h in holders) for s in sites if not s.write):
        return None
    return ops.pop()


TRUE, FALSE = {"true", "1"}, {"false", "0"}


def flag_op(src: Source, name: str, facts: BodyFacts, decl: Decl | None) -> str | None:
    """A bool the loop never reads before writing and only ever sets to one constant in some iterations (`found =
    true;`, `stop = false;`): after the loop it is that constant if any iteration set it, else its value before,
    which is exactly what reduction(||) for true (reduction(&&) for false) gives a bool. None for anything else
    (an int flag: 5 || false would be 1)."""
    words = set(decl.type_text.split()) if decl is not None else set()
    if not words & {"bool", "_Bool"} or words & {"*", "&"}:
        return None
    values = set()
    for site in (s for s in facts.sites if s.name == name and s.write):
        node = site.node
        if site.op != "=" or node.type != "assignment_expression":
            return None
        values.add(_norm(src.text_of(node.child_by_field_name("right"))))
    return "||" if values and values <= TRUE else "&&" if values and values <= FALSE else None


def _cursor(src: Source, name: str, facts: BodyFacts, live: set[str]) -> bool:
    """A pointer each iteration sets (`p = base + i * stride;`, `p = &a[off[i]]`) before using it, and that is dead
    after the loop: the pointer itself is private. Where it points is not decided here: the accesses through it are
    held against the others by the memory analysis (tools/loops/memory.py follows row pointers into their array and
    takes any other local pointer to reach anything)."""
    if name in facts.exposed or name in live or name in facts.address_taken:
        return False
    for site in facts.sites:
        if site.name == name and site.write:
            node = site.node
            if node.type != "assignment_expression" or src.text_of(node.child_by_field_name("operator")) != "=":
                return False
    return True


def classify(src: Source, loop: Loop, facts: BodyFacts, symbols: dict[str, Decl],
             live: set[str]) -> list[ScalarClass]:
    """Classify each scalar written in the loop body and declared outside it."""
    out = []
    # a member of a struct declared in the body (mom.x, vec3 mom; inside the loop) is each iteration's own
    for name in sorted(n for n in facts.writes() - facts.declared - {loop.index} if n.split(".")[0] not in facts.declared):
        decl = symbols.get(name)
        if decl is not None and decl.is_memory and decl.kind != "container":
            if _cursor(src, name, facts, live):
                out.append(ScalarClass(name, "private", reason=f"pointer {name} is set before it is used in every "
                                       "iteration and not used after the loop"))
            else:
                out.append(ScalarClass(name, "unknown", reason=f"pointer {name} is modified in the loop"))
            continue
        if name in facts.address_taken:
            out.append(ScalarClass(name, "unknown", reason=f"the address of {name} is taken"))
            continue
        member = "." in name
        if name not in facts.exposed:
            if name in live or (decl is not None and decl.scope == "global" and name not in live):
                if name in facts.defined_end:
                    role = ScalarClass(name, "lastprivate", reason=f"{name} is written in every iteration "
                                       "and used after the loop")
                elif (flag := flag_op(src, name, facts, decl)) is not None:
                    role = ScalarClass(name, "reduction", flag, f"{name} is a flag the loop only ever sets to "
                                       f"{'true' if flag == '||' else 'false'}: a {flag} reduction")
                else:
                    role = ScalarClass(name, "carried", reason=f"{name} is written in only some iterations "
                                       "and used after the loop")
            else:
                role = ScalarClass(name, "private", reason=f"{name} is written before it is read")
        else:
            op = as_reduction(src, name, facts)
            if op is not None:
                role = ScalarClass(name, "reduction", op, f"{name} is a {op} reduction")
            else:
                role = ScalarClass(name, "carried", reason=f"{name} is read before it is written: its value "
                                   "flows from one iteration to the next")
        if member and role.role not in ("carried",):
            role = ScalarClass(name, "unknown", reason=f"struct member {name} would need a {role.role} clause")
        out.append(role)
    return private_structs(src, loop, out, symbols, live)


def private_structs(src: Source, loop: Loop, roles: list[ScalarClass], symbols: dict[str, Decl],
                    live: set[str]) -> list[ScalarClass]:
    """A local struct the loop uses only through members it writes before reading them in every iteration (a
    scratch `vec d; d.x = ...; ... d.x`), and that is not used after the loop, becomes one private(d)."""
    private = [r for r in roles if "." in r.name and r.role == "unknown" and r.reason.endswith("a private clause")]
    body = src.text_of(loop.body) if loop.body is not None else ""
    for root in sorted({r.name.split(".")[0] for r in private}):
        decl = symbols.get(root)
        written = {r.name.split(".", 1)[1] for r in private if r.name.split(".")[0] == root}
        used = set(re.findall(rf"\b{re.escape(root)}\s*\.\s*(\w+)", body))
        whole = re.search(rf"(?<![.>\w]){re.escape(root)}\b(?!\s*\.)", body)
        others = any(r.name.startswith(root + ".") and r not in private for r in roles)
        if (decl is None or decl.scope == "global" or decl.kind == "scalar_ref" or whole or others
                or not used <= written or any(n.split(".")[0] == root for n in live)):
            continue
        roles = [r for r in roles if r.name.split(".")[0] != root]
        roles.append(ScalarClass(root, "private", reason=f"the members of {root} the loop uses "
                                 f"({', '.join(sorted(used))}) are written before they are read"))
    return roles
