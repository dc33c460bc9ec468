"""C++ accessors: member functions that only hand out one of their object's data members.

`Real &x(Index i) { return m_x[i]; }` makes `mesh.x(i) += ...` a write of element i of mesh's member m_x, and
`Real dt() const { return m_dt; }` makes `mesh.dt()` a read of that member. A loop written against such an
interface (the usual style of C++ mini-apps) is then analysed like one written against the members themselves,
instead of stopping at "mesh.x() may modify mesh".

Members held by value (a number, a struct, a C array, a std::vector; not a pointer, a reference or a view) are
storage of their own: two different ones of one object never overlap (`Members.by_value`, used by the aliasing
test). A call of any other member function that has no side effect (calls.py) reads the members its body names:
it stops the loop only when the loop writes one of them (`Members.method_problem`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts

from hpcagent.tools.loops.cparse import Source, declarator_name, functions, walk
from hpcagent.tools.loops.facts import READ_METHODS, MemAccess

VIEW_TYPE = re.compile(r"\b(?:span|string_view|mdspan|unique_ptr|shared_ptr|weak_ptr|reference_wrapper)\b|\*|&")
RANDOM_ACCESS = re.compile(r"\b(?:vector|array|valarray|deque|span|basic_string|string)\s*<|\bstd::string\b")
CLASSES = ("class_specifier", "struct_specifier")


@dataclass(frozen=True)
class Accessor:
    """What a call of the accessor reaches: member `field`, subscripted by the parameters at `params` in order
    (none: the member itself); `ref` when it returns a non-const reference (a call may be written through)."""

    cls: str
    field: str
    params: tuple[int, ...]
    ref: bool


def _strip(node: ts.Node | None) -> ts.Node | None:
    while node is not None and node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _declarator(fn: ts.Node) -> tuple[ts.Node | None, bool]:
    """The function_declarator of a definition, and whether a reference declarator wraps it (returns a reference)."""
    node, ref = fn.child_by_field_name("declarator"), False
    while node is not None and node.type != "function_declarator":
        ref = ref or node.type == "reference_declarator"
        node = node.child_by_field_name("declarator") or next(
            (c for c in node.named_children if c.type.endswith("declarator")), None)
    return node, ref


def returns_reference(src: Source, fn: ts.Node) -> bool:
    """fn returns a non-const reference: a caller may write through what a call gives back (`x(i) = 0`)."""
    declarator, ref = _declarator(fn)
    head = src.text_of(fn)[: declarator.start_byte - fn.start_byte] if declarator is not None else ""
    return ref and not re.search(r"\bconst\b", head)


def _class_of(src: Source, fn: ts.Node, declarator: ts.Node) -> str | None:
    name = declarator.child_by_field_name("declarator")
    if name is not None and name.type == "qualified_identifier":  # Real &Mesh::x(Index i) { ... }
        scope = name.child_by_field_name("scope")
        return src.text_of(scope) if scope is not None else None
    cur = fn.parent
    while cur is not None and cur.type not in CLASSES:
        if cur.type in ("function_definition", "compound_statement"):
            return None
        cur = cur.parent
    label = cur.child_by_field_name("name") if cur is not None else None
    return src.text_of(label) if label is not None else None


def data_members(sources: list[Source]) -> dict[str, bool]:
    """Every data member declared in a class or struct of the sources: name -> held by value in every declaration
    (a number, a struct, a C array, a std::vector or std::array; not a pointer, a reference or a view such as
    std::span, whose elements may be another member's)."""
    out: dict[str, bool] = {}
    for src in sources:
        for node in walk(src.root):
            kind = node.child_by_field_name("type") if node.type == "field_declaration" else None
            if kind is None:
                continue
            for d in node.children_by_field_name("declarator"):
                if d.type == "function_declarator":
                    continue
                shapes = {n.type for n in walk(d)}
                value = not shapes & {"pointer_declarator", "reference_declarator", "function_declarator"} and \
                    not VIEW_TYPE.search(src.text_of(kind))
                name = declarator_name(src, d)
                out[name] = out.get(name, True) and value
    return out


def _accessor(src: Source, fn: ts.Node, members: dict[str, bool]) -> Accessor | None:
    declarator, _ = _declarator(fn)
    body = fn.child_by_field_name("body")
    if declarator is None or body is None or body.type != "compound_statement":
        return None
    cls = _class_of(src, fn, declarator)
    statements = [c for c in body.named_children if c.type != "comment"]
    if cls is None or len(statements) != 1 or statements[0].type != "return_statement":
        return None
    params = []
    plist = declarator.child_by_field_name("parameters")
    for p in plist.named_children if plist is not None else []:
        if p.type != "parameter_declaration":
            return None
        params.append(declarator_name(src, p.child_by_field_name("declarator")))
    value = _strip(statements[0].named_children[0] if statements[0].named_children else None)
    subscripts: list[int] = []
    while value is not None and value.type == "subscript_expression":
        index = value.child_by_field_name("index")
        if index is None:  # C++'s grammar: a list of indices
            holder = value.child_by_field_name("indices")
            index = holder.named_children[0] if holder is not None and holder.named_child_count == 1 else None
        index = _strip(index)
        name = src.text_of(index) if index is not None and index.type == "identifier" else ""
        if name not in params or params.index(name) in subscripts:
            return None
        subscripts.insert(0, params.index(name))
        value = _strip(value.child_by_field_name("argument"))
    if value is not None and value.type == "field_expression" and \
            src.text_of(value.child_by_field_name("operator")) == "->" and \
            src.text_of(value.child_by_field_name("argument")) == "this":
        value = value.child_by_field_name("field")
    field = src.text_of(value) if value is not None and value.type in ("identifier", "field_identifier") else ""
    if not field or field in params or field not in members or len(subscripts) != len(params):
        return None
    return Accessor(cls, field, tuple(subscripts), returns_reference(src, fn))


def find_accessors(sources: list[Source]) -> dict[tuple[str, int], Accessor]:
    """(method name, argument count) -> its accessor, for every member function of the sources that is one. A name
    and count defined otherwise anywhere (another class's method doing more, an overload) is left out."""
    members = data_members(sources)
    found: dict[tuple[str, int], set[Accessor | None]] = {}
    for src in sources:
        for name, fn in functions(src):
            declarator, _ = _declarator(fn)
            plist = declarator.child_by_field_name("parameters") if declarator is not None else None
            count = len(plist.named_children) if plist is not None else 0
            found.setdefault((name.split("::")[-1], count), set()).add(_accessor(src, fn, members))
    return {key: next(iter(shapes)) for key, shapes in found.items()  # type: ignore[misc]
            if len(shapes) == 1 and None not in shapes}


def is_member_function(src: Source, fn: ts.Node) -> bool:
    declarator, _ = _declarator(fn)
    return declarator is not None and _class_of(src, fn, declarator) is not None


def member_object(base: str, symbols: dict, implicit: bool = False) -> tuple[str, str] | None:
    """(object, member) of an accessed base: `this->m_x`, `mesh.m_x`, `mesh->m_x`, or with `implicit` (the code is
    a member function's) a bare `m_x` that the function does not declare."""
    found = re.fullmatch(r"(?:(\w+)\s*(?:\.|->)\s*)?(\w+)", base.strip())
    if found is None:
        return None
    obj, member = found.groups()
    if obj is None:
        return None if member in symbols or not implicit else ("this", member)
    return obj, member


def _members_read(src: Source, fn: ts.Node, members: dict[str, bool], methods: set[str]) -> set[str] | None:
    """The data members a member function's body names, or None when it calls a member function itself (what
    that one reads is not followed)."""
    body, out = fn.child_by_field_name("body"), set()
    for node in walk(body) if body is not None else []:
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee is not None and (callee.type == "field_expression" or src.text_of(callee) in methods):
                return None
        elif node.type in ("identifier", "field_identifier") and src.text_of(node) in members:
            out.add(src.text_of(node))
    return out


def _root(base: str) -> str:
    """The name an access starts from (memory.root_name)."""
    return re.split(r"->|\.|\[|\s|\(|\)", base.strip("(*& "), maxsplit=1)[0]


class Members:
    """The program's accessors, its data members held by value, and what each member function reads."""

    def __init__(self, sources: list[Source]):
        self.accessors = find_accessors(sources)
        members = data_members(sources)
        self.by_value = {name for name, value in members.items() if value}
        self.classes: dict[str, set[str]] = {}
        """Member function name -> the classes defining one."""
        defs = []
        for src in sources:
            for name, fn in functions(src):
                declarator, _ = _declarator(fn)
                cls = _class_of(src, fn, declarator) if declarator is not None else None
                if cls is not None:
                    self.classes.setdefault(name.split("::")[-1], set()).add(cls)
                    defs.append((src, name.split("::")[-1], fn))
        self.reads: dict[str, set[str] | None] = {}
        """Member function name -> the data members its definitions name (None: not known)."""
        for src, name, fn in defs:
            mine = _members_read(src, fn, members, set(self.classes))
            known = self.reads.get(name, set())
            self.reads[name] = None if mine is None or known is None else known | mine

    def method_problem(self, call: ts.Node, obj: str, method: str, effects: dict, facts, symbols: dict,
                       passed: set[str]) -> str | None:
        """Why a call `obj.method(...)` in a loop body stops the loop, or None when it only reads: every definition
        of the name, in a class body or out of it (`Box::volume`), is a member function with no side effect
        (`effects`, calls.py); obj's declared type names a class defining it; and the loop writes no member the
        function names, nothing the call is `passed` and no global the function reads."""
        if method in READ_METHODS:
            return None
        found = [e for name, e in effects.items() if name == method or name.endswith(f"::{method}")]
        root = _root(obj)
        decl, reads = symbols.get(root), self.reads.get(method)
        owners = self.classes.get(method, set())
        if not found or not all(e.pure for e in found) or reads is None or decl is None or not any(
                re.search(rf"\b{re.escape(c)}\b", decl.type_text) for c in owners):
            return f"{obj}.{method}() may modify {obj}"
        globals_read = set().union(*(e.reads_globals for e in found))
        for name in [m.base for m in facts.mem if m.write] + sorted(facts.writes()):
            if _root(name) == root:
                member = member_object(name.split("[")[0], symbols)
                if member is None or member[1] in reads:
                    return f"{obj}.{method}() reads {obj}, which the loop writes"
        memory = {_root(m.base) for m in facts.mem if m.write}
        pointers = {n for n in facts.writes() if n not in symbols or symbols[n].is_memory}
        if clash := (passed & (memory | pointers)) | (globals_read & (memory | facts.writes())):
            return f"{obj}.{method}() reads {min(clash)}, which the loop writes"
        # each member it names, read whole: the aliasing test holds them against what the loop writes elsewhere
        op = call.child_by_field_name("function").child_by_field_name("operator")
        sep = (op.text or b".").decode() if op is not None else "."
        facts.mem += [MemAccess(f"{obj}{sep}{m}", [], False, call, (), "deref") for m in sorted(reads)]
        return None


def range_issues(src: Source, program, loop, facts, symbols: dict, issues: list) -> None:
    """A range-for is parallel only over a random-access container (a data member's declared type counts) that its
    body does not also access by name."""
    name = src.text_of(loop.node.child_by_field_name("right"))
    decl = symbols.get(name)
    members = program.member_types().get(name.removeprefix("this->")) if decl is None and program is not None else None
    if members and all(RANDOM_ACCESS.search(t) for t in members):
        pass  # a data member of a random-access container type (std::vector, std::array, ...)
    elif decl is None or not (decl.kind == "array" or RANDOM_ACCESS.search(decl.type_text)):
        issues.append(("unknown", f"range over {name}: random-access iterators not known"))
    elif any(_root(m.base) == name for m in facts.mem) or name in facts.writes():
        issues.append(("unknown", f"the body also accesses {name} directly"))

