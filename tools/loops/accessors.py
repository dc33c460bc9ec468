"""C++ accessors: member functions that only hand out one of their object's data members.

`Real &x(Index i) { return m_x[i]; }` makes `mesh.x(i) += ...` a write of element i of mesh's member m_x, and
`Real dt() const { return m_dt; }` makes `mesh.dt()` a read of that member. A loop written against such an
interface (the usual style of C++ mini-apps) is then analysed like one written against the members themselves,
instead of stopping at "mesh.x() may modify mesh".

Members held by value (a std::vector, std::array or std::valarray, or a C array, not a pointer or a reference) are
storage of their own: two different ones of one object never overlap (`value_members`, used by the aliasing test).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts

from hpcagent.tools.loops.cparse import Source, declarator_name, functions, walk

VALUE_TYPE = re.compile(r"\b(?:vector|array|valarray)\s*<")
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
    (a std::vector/array/valarray, or a C array of values; not a pointer, a reference or a std::span)."""
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
                value = not shapes & {"pointer_declarator", "reference_declarator", "function_declarator"} and (
                    "array_declarator" in shapes or bool(VALUE_TYPE.search(src.text_of(kind))))
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


def member_object(base: str, symbols: dict) -> tuple[str, str] | None:
    """(object, member) of an accessed base: `this->m_x`, an implicit `m_x` inside a member function (a name not
    declared in the function), `mesh.m_x` or `mesh->m_x`."""
    found = re.fullmatch(r"(?:(\w+)\s*(?:\.|->)\s*)?(\w+)", base.strip())
    if found is None:
        return None
    obj, member = found.groups()
    if obj is None:
        return None if member in symbols else ("this", member)
    return obj, member


class Members:
    """The program's accessors and its data members held by value, found once per analysed file."""

    def __init__(self, sources: list[Source]):
        self.accessors = find_accessors(sources)
        self.by_value = {name for name, value in data_members(sources).items() if value}

