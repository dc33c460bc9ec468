"""The OpenMP directives of a parsed source as constructs (the directive and the statement it governs), the questions
the static race checks ask about them, and the syntax of the accesses they look at."""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts

from hpcagent.tools.loops.cparse import Source, declarator_name, line_of, walk
from hpcagent.tools.loops.veto import directive, names

STANDALONE = {"barrier", "taskwait", "taskyield", "flush", "threadprivate", "declare", "end", "cancel",
              "cancellation", "depobj", "scan", "requires", "error", "nothing", "allocate", "begin"}
"""Directives that govern no statement."""
TEAMS = {"parallel", "teams"}
"""Directives whose statement every thread of a new team (or league) runs."""
CONDITIONAL = {"if_statement", "switch_statement", "case_statement", "conditional_expression", "while_statement"}
"""What may run an access in some iterations or threads and not others, or not at all (besides && and ||; a for
loop's body is taken to run)."""
_PRAGMA = re.compile(r"^\s*#\s*pragma\s+omp\b")


@dataclass
class Construct:
    """One OpenMP directive of the source and the statement it governs (None for a standalone directive)."""

    line: int
    kind: str
    """The directive's first word: parallel, for, simd, critical, atomic, task, taskwait, ..."""
    words: set[str]
    clauses: dict[str, list[str]]
    node: ts.Node | None
    text: str
    """The directive as written, on one line."""
    pragma: ts.Node | None = None
    """The directive's own node."""

    def holds(self, node: ts.Node) -> bool:
        return self.node is not None and self.node.start_byte <= node.start_byte and \
            node.end_byte <= self.node.end_byte

    @property
    def one_thread(self) -> bool:
        """An `if` clause or num_threads(1): the team may have one thread."""
        return "if" in self.clauses or any(a.strip() == "1" for a in self.clauses.get("num_threads", []))


def blank_pragmas(text: str) -> str:
    """The source with every `#pragma omp` line (and its continuation lines) blanked, line numbers kept."""
    out, going = [], False
    for line in text.split("\n"):
        if going or _PRAGMA.match(line):
            going = line.rstrip().endswith("\\")
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def is_pragma(node: ts.Node) -> bool:
    return node.type in ("preproc_call", "preproc_pragma")


def constructs(src: Source) -> list[Construct]:
    """Every `#pragma omp` directive of a parsed source, with the statement it governs."""
    out = []
    for node in walk(src.root):
        if not is_pragma(node):
            continue
        text = src.text_of(node).replace("\\\n", " ").strip()
        parsed = directive(text)
        kind = re.match(r"#\s*pragma\s+omp\s+(\w+)", text)
        if parsed is None or kind is None:
            continue
        target = node.next_named_sibling
        while target is not None and (target.type == "comment" or is_pragma(target)):
            target = target.next_named_sibling
        standalone = kind.group(1) in STANDALONE or (kind.group(1) == "ordered" and {"depend", "doacross"} &
                                                      set(parsed[1]))
        out.append(Construct(line_of(node), kind.group(1), parsed[0] | {kind.group(1)}, parsed[1],
                             None if standalone else target, " ".join(text.split()), node))
    return out


class Directives:
    """The constructs of one parsed source and what they say about a node: which team runs it, what guards it."""

    def __init__(self, src: Source):
        self.src = src
        self.all = constructs(src)
        self.threadprivate = {v for c in self.all if c.kind == "threadprivate"
                              for v in names(c.clauses.get("threadprivate", []))}

    def inner(self, c: Construct, node: ts.Node) -> bool:
        """node is under another directive inside c (atomic, critical, ordered, a task, a nested loop's), or one
        written after c's on the same statement (`parallel` then `single` on one block)."""
        return any(d is not c and d.node is not None and d.holds(node) and c.holds(d.node)
                   and ((d.node.start_byte, d.node.end_byte) != (c.node.start_byte, c.node.end_byte) or d.line > c.line)
                   for d in self.all)

    def governed(self, node: ts.Node) -> bool:
        """Some directive governs node."""
        return any(d.holds(node) for d in self.all)

    def region(self, c: Construct) -> Construct | None:
        """The nearest construct around c that starts a team (or league)."""
        around = [d for d in self.all if d is not c and d.words & TEAMS and d.node is not None and d.holds(c.node)]
        return min(around, key=lambda d: d.node.end_byte - d.node.start_byte, default=None)

    def inactive(self, c: Construct) -> bool:
        """c may run on one thread: an if clause or num_threads(1) on it or on its team; a team inside a team."""
        region = self.region(c)
        if c.words & TEAMS:
            return c.one_thread or (region is not None and "parallel" in c.words and "parallel" in region.words)
        return "simd" not in c.words and region is not None and self.inactive(region)


def function_of(node: ts.Node) -> ts.Node | None:
    cur = node.parent
    while cur is not None and cur.type != "function_definition":
        cur = cur.parent
    return cur


def is_static(src: Source, decl: ts.Node) -> bool:
    return any(ch.type == "storage_class_specifier" and src.text_of(ch) in ("static", "thread_local")
               for ch in decl.children)


def array_declarator(decl: ts.Node) -> bool:
    """An array declared by value (double buf[8]), not a pointer to one."""
    while decl is not None and decl.type not in ("array_declarator", "pointer_declarator", "identifier"):
        decl = decl.child_by_field_name("declarator")
    return decl is not None and decl.type == "array_declarator"


def declared(src: Source, scope: ts.Node) -> list[tuple[str, ts.Node]]:
    """(name, declaration) for every variable and parameter declared in scope."""
    return [(declarator_name(src, d), n) for n in walk(scope) if n.type in ("declaration", "parameter_declaration")
            for d in n.children_by_field_name("declarator")]


def bare(node: ts.Node | None) -> ts.Node | None:
    while node is not None and node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def target(src: Source, node: ts.Node | None) -> tuple[str, bool] | None:
    """The name an assignment writes and whether it is the whole variable (x) or a constant element (x[2])."""
    node = bare(node)
    if node is None:
        return None
    if node.type == "identifier":
        return src.text_of(node), True
    if node.type == "subscript_expression":
        base = node.child_by_field_name("argument")
        index = node.child_by_field_name("index") or node.child_by_field_name("indices")  # C, C++
        if base is not None and base.type == "identifier" and index is not None and \
                re.fullmatch(r"\[?\s*\d+\s*\]?", src.text_of(index)):
            return src.text_of(base), False
    return None


def written(node: ts.Node) -> ts.Node | None:
    """The lvalue an assignment or increment writes, or None for any other node."""
    if node.type == "assignment_expression":
        return node.child_by_field_name("left")
    if node.type == "update_expression":
        return node.child_by_field_name("argument")
    return None


def accesses(src: Source, scope: ts.Node, name: str) -> tuple[list[ts.Node], list[ts.Node]]:
    """The writes of scalar `name` in scope (assignments and increments), and its reads (every other occurrence:
    `x += ...` and `x++` read it too)."""
    writes, stores = [], set()
    for n in walk(scope):
        lhs = written(n)
        if lhs is not None and target(src, lhs) == (name, True):
            writes.append(n)
            if n.type == "assignment_expression" and src.text_of(n.child_by_field_name("operator")) == "=":
                stores.add(bare(lhs).id)
    reads = [n for n in walk(scope) if n.type == "identifier" and src.text_of(n) == name and n.id not in stores
             and not n.parent.type.endswith("declarator") and n.parent.type != "declaration"]
    return writes, reads


def unconditional(node: ts.Node, top: ts.Node) -> bool:
    """node runs whenever top's statement does: nothing conditional between them (a test's own condition runs; the
    right side of && and || may not)."""
    if node.id == top.id:
        return True
    came, cur = node, node.parent
    while cur is not None and cur.id != top.id:
        test = cur.child_by_field_name("condition")
        right = cur.child_by_field_name("right") if cur.type == "binary_expression" else None
        if (cur.type in CONDITIONAL and (test is None or test.id != came.id)) or (
                right is not None and right.id == came.id and cur.child_by_field_name("operator").type in ("&&", "||")):
            return False
        came, cur = cur, cur.parent
    return cur is not None


def static_writes(src: Source, scope: ts.Node, top: ts.Node) -> list[tuple[str, ts.Node]]:
    """(name, write) for each static local declared in scope and written there unconditionally."""
    statics = {name for name, n in declared(src, scope) if n.type == "declaration" and is_static(src, n)
               and "thread_local" not in src.text_of(n)}
    out = []
    for n in walk(scope):
        lhs = written(n)
        found = target(src, lhs) if lhs is not None else None
        if found is not None and found[0] in statics and unconditional(n, top):
            out.append((found[0], n))
    return out
