"""Whole-program aliasing: which objects each pointer parameter can point to, over every call site of every file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import tree_sitter as ts

from hpcagent.tools.loops.accessors import Members
from hpcagent.tools.loops.affine import to_affine
from hpcagent.tools.loops.cparse import (
    ALLOCATORS,
    Source,
    allocated,
    declarator_name,
    functions,
    parse_file,
    strip_casts,
    walk,
)
from hpcagent.tools.loops.invariants import written_names
from hpcagent.tools.loops.symbols import Decl, function_symbols

TOP = None
"""An unknown set of objects (anything)."""
Objects = frozenset | None


def _allocation(src: Source, node: ts.Node | None) -> bool:
    """A direct call of an allocator or of one of the program's allocating wrappers (possibly cast)."""
    return allocated(src, node, ALLOCATORS | src.allocators)


class Function:
    """One function definition and what the analysis needs about it."""

    def __init__(self, file: str, src: Source, name: str, node: ts.Node):
        self.file, self.src, self.name, self.node = file, src, name, node
        self.static = "static" in src.text_of(node).split("(")[0].split()
        self.symbols: dict[str, Decl] = function_symbols(src, node)
        self.writes = written_names(src, node)
        self.params = [d for d in self.symbols.values() if d.scope == "param"]
        self.fresh = self._fresh_locals()
        self.outs = self._out_params()
        """Out-parameters: p -> loc for a pointer-to-pointer parameter p whose one use is `*p = loc;` (fresh loc)."""

    def _fresh_locals(self) -> set[str]:
        """Local pointers whose only definition is one allocator call (in the declaration or one assignment)."""
        out = set()
        for n in walk(self.node):
            if n.type == "init_declarator" and _allocation(self.src, n.child_by_field_name("value")):
                name = self.src.text_of(n.child_by_field_name("declarator")).lstrip("* ")
                if not self.writes.get(name):
                    out.add(name)
            elif n.type == "assignment_expression" and _allocation(self.src, n.child_by_field_name("right")):
                left = n.child_by_field_name("left")
                name = self.src.text_of(left)
                decl = self.symbols.get(name)
                if (left.type == "identifier" and self.writes.get(name) == 1 and decl is not None
                        and decl.scope == "local" and decl.node is not None and "=" not in self.src.text_of(decl.node)):
                    out.add(name)
        return out


    def _out_params(self) -> dict[str, str]:
        """Parameters p used exactly once, as `*p = loc;` with loc a fresh local: the caller's `&x` gets loc's
        allocation. Any other use of p (read, passed on, p[0] =, a second store) leaves p out."""
        body = self.node.child_by_field_name("body")
        uses: dict[str, list[ts.Node]] = {}
        for n in walk(body) if body is not None else []:
            if n.type == "identifier":
                uses.setdefault(self.src.text_of(n), []).append(n)
        out = {}
        for param in self.params:
            found = uses.get(param.name, [])
            if param.kind != "pointer" or len(found) != 1:
                continue
            star = found[0].parent
            store = star.parent if star is not None else None
            if (star is None or star.type != "pointer_expression" or not self.src.text_of(star).startswith("*")
                    or store is None or store.type != "assignment_expression"
                    or store.child_by_field_name("left") != star
                    or self.src.text_of(store.child_by_field_name("operator")) != "="):
                continue
            value = strip_casts(store.child_by_field_name("right"))
            loc = self.src.text_of(value) if value is not None and value.type == "identifier" else ""
            decl = self.symbols.get(loc)
            if loc in self.fresh and decl is not None and decl.scope == "local":
                out[param.name] = loc
        return out


class Program:
    """All functions of the files given; call sites resolve by name (static ones within their own file)."""

    def __init__(self, sources: dict[str, Source]):
        self.sources = sources
        # a type a header defines as an array (`typedef double real3[3];`) is one in every file that includes it
        # (a view holds its own file's lines only): each file's own definitions first
        own = {f: src.array_types for f, src in sources.items()}
        shared = {name: sizes for types in own.values() for name, sizes in types.items()}
        wrappers = {name for src in sources.values() for name in src.allocators}
        for f, src in sources.items():
            src.array_types = {**shared, **own[f]}
            src.allocators = wrappers
        self.functions = [Function(f, src, name, node) for f, src in sources.items() for name, node in functions(src)]
        self.has_main = any(fn.name == "main" for fn in self.functions)
        self.pts: dict[tuple[int, str], Objects] = {}
        self.calls: list[tuple[Function, Function, list[ts.Node]]] = []
        self._solve()
        self.distinct: dict[int, set[frozenset[str]]] = self._distinct_pairs()

    @cached_property
    def members(self) -> Members:
        """The program's C++ accessors, members held by value and member functions' reads (accessors.py), found
        once for all its files."""
        return Members(list(self.sources.values()))

    def member_types(self) -> dict[str, set[str]]:
        """C++ data members declared in any class or struct of the program: name -> the declared types (a name
        declared in several classes has several)."""
        if getattr(self, "_members", None) is None:
            self._members: dict[str, set[str]] = {}
            for src in self.sources.values():
                for n in walk(src.root):
                    if n.type != "field_declaration" or n.child_by_field_name("type") is None:
                        continue
                    kind = src.text_of(n.child_by_field_name("type"))
                    for d in n.children_by_field_name("declarator"):
                        if d.type != "function_declarator":
                            self._members.setdefault(declarator_name(src, d), set()).add(kind)
        return self._members

    @staticmethod
    def from_files(paths: list[Path]) -> Program:
        """Parse the files (keys are their resolved paths)."""
        return Program({str(Path(p).resolve()): parse_file(Path(p)) for p in paths})

    def resolve(self, file: str, name: str) -> Function | None:
        """The definition a call of name from file reaches; None if unknown or ambiguous."""
        static = [fn for fn in self.functions if fn.name == name and fn.static and fn.file == file]
        if static:
            return static[0]
        found = [fn for fn in self.functions if fn.name == name and not fn.static]
        return found[0] if len(found) == 1 else None

    def complete(self, fn: Function) -> bool:
        """Every call of fn is visible: it is static or the program's main is here, and its address is never taken."""
        if not (fn.static or self.has_main) or self.resolve(fn.file, fn.name) is not fn:
            return False
        files = [fn.file] if fn.static else list(self.sources)
        for f in files:
            src = self.sources[f]
            for n in walk(src.root):
                if n.type == "identifier" and src.text_of(n) == fn.name:
                    parent = n.parent
                    is_call = parent is not None and parent.type == "call_expression" and \
                        parent.child_by_field_name("function") == n
                    if not is_call and not (parent is not None and parent.type == "function_declarator"):
                        return False  # a function pointer: calls through it are not visible
        return True

    def objects(self, caller: Function, arg: ts.Node) -> Objects:
        """The objects an argument can point to: allocation sites, arrays, or the caller's own parameters' objects."""
        node = strip_casts(arg)
        if node is None or node.type != "identifier":
            return TOP
        name = caller.src.text_of(node)
        decl = caller.symbols.get(name)
        if decl is None:
            return TOP
        if decl.kind == "array" and decl.scope in ("local", "global"):
            return frozenset({(caller.file if decl.scope == "local" else "", caller.name, name)})
        if decl.scope == "local" and name in caller.fresh:
            return frozenset({(caller.file, caller.name, name)})
        if decl.scope == "param" and decl.kind == "pointer" and not caller.writes.get(name):
            return self.pts.get((id(caller), name), frozenset())
        if decl.scope == "local" and decl.kind == "pointer":
            return self._filled(caller, name)
        return TOP

    def _filled(self, caller: Function, name: str) -> Objects:
        """The allocations a local pointer can hold when its only definitions are calls filling it through an
        out-parameter (`build(&x)` with build doing `*p = fresh;`): the callees' allocation sites; TOP otherwise.

        x must be declared once, without a value (or with a null one), and every write of it must be such an `&x`
        argument: then x holds one of those allocations or is still null (never dereferenced in a valid program).
        """
        src = caller.src
        declared = [d for n in walk(caller.node) if n.type == "declaration"
                    for d in n.children_by_field_name("declarator") if declarator_name(src, d) == name]
        if len(declared) != 1:
            return TOP
        if declared[0].type == "init_declarator":
            value = strip_casts(declared[0].child_by_field_name("value"))
            if value is None or src.text_of(value) not in ("0", "NULL", "nullptr"):
                return TOP
        objects: set = set()
        takes = 0
        for n in walk(caller.node):
            if n.type != "pointer_expression" or not src.text_of(n).startswith("&"):
                continue
            target = strip_casts(n.child_by_field_name("argument"))
            if target is None or target.type != "identifier" or src.text_of(target) != name:
                continue
            takes += 1
            call = n.parent.parent if n.parent is not None and n.parent.type == "argument_list" else None
            if call is None or call.type != "call_expression":
                return TOP
            callee = self.resolve(caller.file, src.text_of(call.child_by_field_name("function")))
            position = next(i for i, a in enumerate(n.parent.named_children) if a == n)
            if callee is None or position >= len(callee.params) or callee.params[position].name not in callee.outs:
                return TOP
            objects.add((callee.file, callee.name, callee.outs[callee.params[position].name]))
        if not objects or takes != caller.writes.get(name, 0):
            return TOP
        return frozenset(objects)

    def _solve(self) -> None:
        calls = self.calls
        for caller in self.functions:
            for n in walk(caller.node):
                if n.type == "call_expression":
                    callee = self.resolve(caller.file, caller.src.text_of(n.child_by_field_name("function")))
                    if callee is not None:
                        calls.append((caller, callee, n.child_by_field_name("arguments").named_children))
        for _ in range(64):  # sets only grow (TOP absorbs), so this reaches a fixpoint
            changed = False
            for caller, callee, args in calls:
                for i, param in enumerate(callee.params):
                    if param.kind != "pointer":
                        continue
                    key = (id(callee), param.name)
                    old = self.pts.get(key, frozenset())
                    if old is TOP:
                        continue
                    got = self.objects(caller, args[i]) if i < len(args) else TOP
                    new = TOP if got is TOP else old | got
                    if new != old:
                        self.pts[key], changed = new, True
            if not changed:
                return
        self.pts = {k: TOP for k in self.pts}  # did not settle: trust nothing

    def _stable_param(self, fn: Function, arg: ts.Node) -> str | None:
        node = strip_casts(arg)
        name = fn.src.text_of(node) if node is not None and node.type == "identifier" else ""
        decl = fn.symbols.get(name)
        ok = decl is not None and decl.scope == "param" and decl.kind == "pointer" and not fn.writes.get(name)
        return name if ok else None

    def _apart(self, caller: Function, a: ts.Node, b: ts.Node, pairs: dict[int, set[frozenset[str]]]) -> bool:
        """The two arguments of one call point to different objects whenever the caller runs."""
        pa, pb = self._stable_param(caller, a), self._stable_param(caller, b)
        if pa and pb and pa != pb and frozenset((pa, pb)) in pairs.get(id(caller), set()):
            return True
        oa, ob = self.objects(caller, a), self.objects(caller, b)
        return bool(oa) and bool(ob) and not oa & ob  # type: ignore[operator]

    def _distinct_pairs(self) -> dict[int, set[frozenset[str]]]:
        """Greatest fixpoint: start from every pair of every fully visible, called function; drop violated pairs.

        Sound by induction over the call depth: the first call from outside a cycle has distinct arguments,
        and every call inside it passes distinct ones on.
        """
        called = {id(callee) for _, callee, _ in self.calls}
        pairs: dict[int, set[frozenset[str]]] = {}
        for fn in self.functions:
            names = [p.name for p in fn.params if p.kind == "pointer" and not fn.writes.get(p.name)]
            if id(fn) in called and self.complete(fn):
                pairs[id(fn)] = {frozenset((a, b)) for i, a in enumerate(names) for b in names[i + 1:]}
        changed = True
        while changed:
            changed = False
            for caller, callee, args in self.calls:
                index = {p.name: i for i, p in enumerate(callee.params)}
                for pair in list(pairs.get(id(callee), ())):
                    i, j = (index[n] for n in sorted(pair))
                    if i >= len(args) or j >= len(args) or not self._apart(caller, args[i], args[j], pairs):
                        pairs[id(callee)].discard(pair)
                        changed = True
        return pairs

    def param_size(self, src: Source, fn_node: ts.Node, name: str, depth: int = 0) -> int | None:
        """The element count every call passes in pointer parameter name (an array or a fixed-size malloc)."""
        fn = self.function_at(src, fn_node)
        if fn is None or depth > 8 or not self.complete(fn):
            return None
        index = next((i for i, p in enumerate(fn.params) if p.name == name), None)
        sizes = set()
        for caller, callee, args in self.calls:
            if callee is fn:
                if index is None or index >= len(args):
                    return None
                sizes.add(self._arg_size(caller, args[index], depth))
        return sizes.pop() if len(sizes) == 1 else None

    def _arg_size(self, caller: Function, arg: ts.Node, depth: int) -> int | None:
        from hpcagent.tools.loops.array_reduction import _alloc_size  # a helper shared with the array reductions

        node = strip_casts(arg)
        name = caller.src.text_of(node) if node is not None and node.type == "identifier" else ""
        decl = caller.symbols.get(name)
        if decl is None:
            return None
        if decl.kind == "array" and len(decl.dims) == 1 and decl.dims[0] is not None and decl.dims[0].is_const():
            return decl.dims[0].constant
        if decl.scope == "param" and not caller.writes.get(name):
            return self.param_size(caller.src, caller.node, name, depth + 1)
        if name in caller.fresh and decl.node is not None:
            for d in decl.node.children_by_field_name("declarator"):
                if d.type == "init_declarator" and caller.src.text_of(d.child_by_field_name("declarator")).lstrip(
                        "* ") == name:
                    count = to_affine(caller.src, _alloc_size(caller.src, d.child_by_field_name("value")))
                    return count.constant if count is not None and count.is_const() else None
        return None

    def function_at(self, src: Source, fn: ts.Node) -> Function | None:
        return next((f for f in self.functions if f.src is src and f.node.id == fn.id), None) or next(
            (f for f in self.functions if f.src.text == src.text and f.node.start_byte == fn.start_byte), None)

    def distinct_params(self, src: Source, fn_node: ts.Node, name: str) -> set[frozenset[str]]:
        """Pointer-parameter pairs of fn that point to disjoint sets of objects at every call site, transitively."""
        fn = self.function_at(src, fn_node)
        return set(self.distinct.get(id(fn), ())) if fn is not None else set()
