"""Parse C/C++ with tree-sitter (as written, or as preprocessed: tools/loops/views.py) and answer small questions
about the syntax tree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import tree_sitter as ts
import tree_sitter_c
import tree_sitter_cpp

from hpcagent.tools.loops import views
from hpcagent.tools.sources import lang_for

LOOP_TYPES = {"for_statement", "while_statement", "do_statement", "for_range_loop"}
ALLOCATORS = {"malloc", "calloc", "aligned_alloc", "_mm_malloc", "valloc", "memalign"}
FUNCTION_TYPES = {"function_definition"}


@lru_cache(maxsize=2)
def _parser(lang: str) -> ts.Parser:
    grammar = tree_sitter_cpp.language() if lang == "cpp" else tree_sitter_c.language()
    return ts.Parser(ts.Language(grammar))


@dataclass
class Source:
    """One parsed file: its bytes, tree and the integer constants it defines."""

    text: bytes
    lang: str
    tree: ts.Tree
    constants: dict[str, int] = field(default_factory=dict)
    raw: bytes | None = None
    """The file as written when `text` is its preprocessed view (tools/loops/views.py), else None."""

    @property
    def root(self) -> ts.Node:
        return self.tree.root_node

    def text_of(self, node: ts.Node | None) -> str:
        if node is None:
            return ""
        return self.text[node.start_byte:node.end_byte].decode("utf-8", "replace")

    @property
    def lines(self) -> list[str]:
        return self.text.decode("utf-8", "replace").split("\n")

    @cached_property
    def array_types(self) -> dict[str, list[ts.Node | None]]:
        """Type names the file defines as arrays, with their size expressions: `typedef double real3[3];` (CoMD's
        vectors) -> {'real3': [<3>]}. A variable declared `real3 dr;` is an array of 3, not a scalar."""
        out: dict[str, list[ts.Node | None]] = {}
        for node in self.root.named_children:
            if node.type != "type_definition":
                continue
            for decl in node.children_by_field_name("declarator"):
                sizes = []
                while decl is not None and decl.type == "array_declarator":
                    sizes.insert(0, decl.child_by_field_name("size"))
                    decl = decl.child_by_field_name("declarator")
                if sizes and decl is not None and decl.type in ("type_identifier", "identifier"):
                    out[self.text_of(decl)] = sizes
        return out


    @cached_property
    def allocators(self) -> set[str]:
        """Functions the file defines that hand out fresh memory (`xmalloc`, `comdMalloc`): every return gives an
        allocator call's result, directly or through a local set from one only (the program joins its files')."""
        out: set[str] = set()
        fns = [fn for fn in walk(self.root) if fn.type in FUNCTION_TYPES
               and "*" in self.text_of(fn)[: (fn.child_by_field_name("body") or fn).start_byte - fn.start_byte]]
        while True:  # a wrapper of a wrapper
            found = {function_name(self, fn) for fn in fns if _hands_out_fresh(self, fn, ALLOCATORS | out)}
            if found <= out:
                return out
            out |= found


def strip_casts(node: ts.Node | None) -> ts.Node | None:
    """The expression under any parentheses and casts."""
    while node is not None and node.type in ("parenthesized_expression", "cast_expression"):
        node = node.child_by_field_name("value") or (node.named_children[-1] if node.named_children else None)
    return node


def allocated(src: Source, node: ts.Node | None, allocators: set[str]) -> bool:
    """The expression is a call of one of the allocators, cast or not: it returns memory nothing else names."""
    node = strip_casts(node)
    return node is not None and node.type == "call_expression" and \
        src.text_of(node.child_by_field_name("function")) in allocators


def _hands_out_fresh(src: Source, fn: ts.Node, allocators: set[str]) -> bool:
    body = fn.child_by_field_name("body")
    nodes = list(walk(body)) if body is not None else []
    returns = [r.named_children[0] if r.named_children else None for r in nodes if r.type == "return_statement"]
    sets: dict[str, list[ts.Node | None]] = {}
    for n in nodes:
        if n.type == "init_declarator":
            sets.setdefault(declarator_name(src, n), []).append(n.child_by_field_name("value"))
        elif n.type == "assignment_expression" and n.child_by_field_name("left").type == "identifier":
            sets.setdefault(src.text_of(n.child_by_field_name("left")), []).append(n.child_by_field_name("right"))

    def fresh(value: ts.Node | None) -> bool:
        if allocated(src, value, allocators):
            return True
        name = src.text_of(value) if value is not None and value.type == "identifier" else ""
        return bool(sets.get(name)) and all(allocated(src, v, allocators) for v in sets[name])

    return bool(returns) and all(fresh(r) for r in returns)


ATTRIBUTE = re.compile(rb"\b__attribute__\s*\(")


def without_attributes(data: bytes) -> bytes:
    """data with each GNU `__attribute__((...))` blanked out, newlines kept: every other byte stays where it was.

    The grammar does not take an attribute after an array declarator (`int l[64] __attribute__((aligned(64)));`)
    and reads `aligned(64)` there as a call of unknown effect; the compiler only lays the variable out."""
    out = bytearray(data)
    for m in ATTRIBUTE.finditer(data):
        depth, i = 0, m.end() - 1
        while i < len(data):
            depth += {40: 1, 41: -1}.get(data[i], 0)  # ( and )
            i += 1
            if depth == 0:
                break
        if depth == 0:
            out[m.start():i] = bytes(b if b == 10 else 32 for b in data[m.start():i])
    return bytes(out)


def parse(text: str | bytes, lang: str = "c") -> Source:
    """Parse source text; ERROR nodes are tolerated (headers and macros are never expanded). The tree is built
    without GNU attributes (without_attributes), on the same byte positions: text_of() still gives the text as
    written, attributes included."""
    data = text.encode() if isinstance(text, str) else text
    src = Source(data, lang, _parser(lang).parse(without_attributes(data) if b"__attribute__" in data else data))
    src.constants = _constants(src)
    return src


CXX_SYNTAX = re.compile(rb"^\s*(?:class|namespace|template\s*<|using\s+namespace)\b|\bstd::|\bpublic:|\bprivate:",
                        re.M)


def parse_file(path: Path) -> Source:
    """Parse a file, choosing the grammar from its suffix; a .h header written in C++ (a class, a namespace, a
    template, std::) is parsed as C++. A file with a registered view (tools/loops/views.py) is parsed as the
    compiler sees it, on its own line numbers."""
    data = path.read_bytes()
    lang = lang_for(path) or "c"
    if lang == "c" and path.suffix == ".h" and CXX_SYNTAX.search(data):
        lang = "cpp"
    view = views.view_of(data)
    if view is None:
        return parse(data, lang)
    src = parse(view, lang)
    src.raw = data
    return src


_INT = re.compile(r"^\(?\s*(-?\d+)[uUlL]*\s*\)?$")


def int_value(text: str) -> int | None:
    """Return the integer an integer literal (maybe parenthesised, with suffixes) denotes."""
    m = _INT.match(text.strip())
    return int(m.group(1)) if m else None


def _constants(src: Source) -> dict[str, int]:
    """Collect #define NAME int, enum values and const int globals: they make bounds and strides known."""
    out: dict[str, int] = {}
    for node in walk(src.root):
        if node.type in ("preproc_def", "enumerator") and node.child_by_field_name("value") is not None:
            value = int_value(src.text_of(node.child_by_field_name("value")))
            if value is not None:
                out[src.text_of(node.child_by_field_name("name"))] = value
        elif (node.type == "declaration" and node.parent is not None and node.parent.type == "translation_unit"
              and "const" in src.text_of(node).split("=")[0].split()):
            for decl in node.children_by_field_name("declarator"):
                if decl.type == "init_declarator":
                    value = int_value(src.text_of(decl.child_by_field_name("value")))
                    if value is not None:
                        out[src.text_of(decl.child_by_field_name("declarator"))] = value
    return out


def walk(node: ts.Node):
    """Yield node and all its descendants, depth first, in source order."""
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        stack.extend(reversed(cur.children))


def line_of(node: ts.Node) -> int:
    return node.start_point[0] + 1


def end_line_of(node: ts.Node) -> int:
    return node.end_point[0] + 1


def declarator_name(src: Source, node: ts.Node | None) -> str:
    """Return the declared identifier under a (pointer/array/init/reference) declarator."""
    while node is not None and node.type not in ("identifier", "field_identifier", "qualified_identifier"):
        inner = node.child_by_field_name("declarator")
        if inner is None:
            inner = next((c for c in node.named_children if c.type.endswith("declarator") or c.type == "identifier"),
                         None)
        node = inner
    return src.text_of(node) if node is not None else ""


def function_name(src: Source, fn: ts.Node) -> str:
    decl = fn.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        # a reference declarator (`Real &x(Index i)`) holds the function declarator as a plain child
        decl = decl.child_by_field_name("declarator") or next(
            (c for c in decl.named_children if c.type.endswith("declarator")), None)
    if decl is None:
        return "?"
    return src.text_of(decl.child_by_field_name("declarator"))


def functions(src: Source) -> list[tuple[str, ts.Node]]:
    """Return (name, node) of every function definition, methods and nested namespaces included."""
    return [(function_name(src, n), n) for n in walk(src.root) if n.type in FUNCTION_TYPES]


def template_types(src: Source, fn: ts.Node | None) -> set[str]:
    """The type parameters of the templates around fn: `T(2)` in their bodies converts, it calls nothing."""
    out: set[str] = set()
    cur = fn.parent if fn is not None else None
    while cur is not None:
        params = cur.child_by_field_name("parameters") if cur.type == "template_declaration" else None
        for p in params.named_children if params is not None else []:
            out |= {src.text_of(t) for t in p.named_children if t.type == "type_identifier"}
        cur = cur.parent
    return out


def enclosing(node: ts.Node, types: set[str]) -> ts.Node | None:
    cur = node.parent
    while cur is not None and cur.type not in types:
        cur = cur.parent
    return cur


def _previous_statement(node: ts.Node) -> ts.Node | None:
    prev = node.prev_named_sibling
    while prev is not None and prev.type == "comment":
        prev = prev.prev_named_sibling
    return prev


def omp_pragma_before(src: Source, node: ts.Node) -> str | None:
    """Return the '#pragma omp ...' text directly before node, if any."""
    prev = _previous_statement(node)
    if prev is not None and prev.type in ("preproc_call", "preproc_pragma"):
        text = src.text_of(prev)
        if re.match(r"#\s*pragma\s+omp\b", text):
            return text.strip()
    return None


def under_omp(src: Source, node: ts.Node) -> str | None:
    """Return the OpenMP pragma governing node (on it or on an enclosing statement), if any."""
    cur: ts.Node | None = node
    while cur is not None and cur.type not in FUNCTION_TYPES:
        pragma = omp_pragma_before(src, cur)
        if pragma is not None:
            return pragma
        cur = cur.parent
    return None
