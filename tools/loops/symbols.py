"""Declarations visible in a function: what each name is (scalar, array, pointer...) and where it lives."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter as ts

from hpcagent.tools.loops.affine import Affine, to_affine
from hpcagent.tools.loops.cparse import Source, declarator_name, functions, walk

_ALLOC = re.compile(r"\b(malloc|calloc|aligned_alloc|_mm_malloc)\s*\(|^\s*new\b")
VALUE_CONTAINERS = ("vector", "array", "valarray")


@dataclass
class Decl:
    """One declared name."""

    name: str
    kind: str
    """scalar, array (declared with a size), pointer, container (std::vector by value), ref (reference), struct."""
    scope: str
    """global, param or local."""
    node: ts.Node | None = None
    dims: list[Affine | None] = field(default_factory=list)
    restrict: bool = False
    fresh: bool = False
    """A local pointer initialised by an allocator: points to memory nothing else names."""
    type_text: str = ""

    @property
    def is_memory(self) -> bool:
        return self.kind in ("array", "pointer", "container", "ref")

    @property
    def distinct_object(self) -> bool:
        """True if no other name can point into this object's storage (except a pointer derived from it)."""
        return (self.kind == "array" and self.scope != "param") or self.kind == "container" or self.fresh


def _classify(src: Source, type_node: ts.Node | None, declarator: ts.Node, scope: str) -> Decl:
    name = declarator_name(src, declarator)
    type_text = src.text_of(type_node)
    decl = Decl(name, "scalar", scope, declarator, type_text=type_text)
    node: ts.Node | None = declarator
    head = src.text_of(declarator).split("=")[0]
    decl.restrict = "restrict" in head or "restrict" in type_text
    if node is not None and node.type == "init_declarator":
        value = src.text_of(node.child_by_field_name("value"))
        call = re.match(r"\s*(?:\([^()]*\)\s*)?(\w+)\s*\(", value)  # an allocating wrapper's result, cast or not
        decl.fresh = scope == "local" and (bool(_ALLOC.search(value)) or (call is not None and
                                                                         call.group(1) in src.allocators))
        node = node.child_by_field_name("declarator")
    while node is not None and node.type not in ("identifier", "field_identifier"):
        if node.type == "pointer_declarator":
            decl.kind = "pointer" if decl.kind == "scalar" else decl.kind
        elif node.type == "array_declarator":
            decl.kind = "array" if scope != "param" and decl.kind in ("scalar", "array") else "pointer"
            decl.dims.insert(0, to_affine(src, node.child_by_field_name("size")))
        elif node.type == "reference_declarator":
            decl.kind = "ref"
        node = node.child_by_field_name("declarator") or next(
            (c for c in node.named_children if c.type.endswith("declarator") or c.type == "identifier"), None)
    if decl.kind == "scalar" and any(c in type_text for c in VALUE_CONTAINERS):
        decl.kind = "container"
    elif decl.kind == "ref" and not any(c in type_text for c in VALUE_CONTAINERS):
        decl.kind = "scalar_ref"
    sizes = src.array_types.get(type_text) if type_node is not None and type_node.type == "type_identifier" else None
    if sizes is not None and decl.kind in ("scalar", "array", "pointer"):
        # a type defined as an array (`typedef double real3[3]; real3 dr;`): the variable is one
        if decl.kind == "pointer" or scope == "param":
            decl.kind = "pointer"
        else:
            decl.kind = "array"
            decl.dims += [to_affine(src, n) for n in sizes]
        return decl
    if decl.kind == "scalar" and type_node is not None and type_node.type in ("struct_specifier",
                                                                           "type_identifier"):
        decl.kind = "struct" if type_node.type == "struct_specifier" else "scalar"
    return decl


def declarations_in(src: Source, node: ts.Node, scope: str) -> list[Decl]:
    """Return the declarations directly made by a declaration or parameter node."""
    type_node = node.child_by_field_name("type")
    out = []
    for declarator in node.children_by_field_name("declarator"):
        decl = _classify(src, type_node, declarator, scope)
        if decl.name:
            decl.node = node
            out.append(decl)
    return out


def function_symbols(src: Source, fn: ts.Node) -> dict[str, Decl]:
    """Globals, then parameters, then locals of fn (later declarations of a name win)."""
    table: dict[str, Decl] = {}
    for node in src.root.named_children:
        if node.type == "declaration":
            for decl in declarations_in(src, node, "global"):
                table[decl.name] = decl
    declarator = fn.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    if declarator is not None:
        params = declarator.child_by_field_name("parameters")
        for p in params.named_children if params is not None else []:
            if p.type in ("parameter_declaration", "optional_parameter_declaration"):
                for decl in declarations_in(src, p, "param"):
                    table[decl.name] = decl
    body = fn.child_by_field_name("body")
    for node in walk(body) if body is not None else []:
        if node.type == "declaration":
            for decl in declarations_in(src, node, "local"):
                table.setdefault(decl.name, decl)
    return table


def _object_named(src: Source, arg: ts.Node) -> str | None:
    while arg.type in ("parenthesized_expression", "cast_expression"):
        arg = arg.child_by_field_name("value") or arg.named_children[-1]
    return src.text_of(arg) if arg.type == "identifier" else None


def distinct_params(src: Source, fn: ts.Node, name: str) -> set[frozenset[str]]:
    """Pointer-parameter pairs of fn that every call site in this file binds to different objects.

    Only for functions no other file can call with other arguments in practice: `static` ones, or any function
    of a file that defines main (a whole program). Each argument must name a declared array, a container or a
    fresh allocation of the caller, and the two names must differ.
    """
    text = src.text_of(fn).split("(")[0].split()
    has_main = any(fname == "main" for fname, _ in functions(src))
    if "static" not in text and not has_main:
        return set()
    params = [d for d in function_symbols(src, fn).values() if d.scope == "param"]
    memory = [i for i, d in enumerate(params) if d.kind in ("pointer", "ref")]
    calls = [n for n in walk(src.root) if n.type == "call_expression"
             and src.text_of(n.child_by_field_name("function")) == name]
    if len(memory) < 2 or not calls:
        return set()
    pairs = {frozenset((params[i].name, params[j].name)) for i in memory for j in memory if i < j}
    for call in calls:
        caller = call.parent
        while caller is not None and caller.type != "function_definition":
            caller = caller.parent
        if caller is None:
            return set()
        symbols = function_symbols(src, caller)
        args = call.child_by_field_name("arguments").named_children
        named = {}
        for i in memory:
            obj = _object_named(src, args[i]) if i < len(args) else None
            decl = symbols.get(obj or "")
            named[params[i].name] = obj if decl is not None and (decl.distinct_object or (
                decl.kind == "array" and decl.scope == "global")) else None
        pairs = {p for p in pairs if all(named[n] for n in p) and len({named[n] for n in p}) == 2}
    return pairs
