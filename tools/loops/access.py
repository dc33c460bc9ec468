"""Walk one loop's body in execution order: scalar reads and writes, memory accesses, calls, exits, I/O."""

from __future__ import annotations

import tree_sitter as ts

from hpcagent.tools.loops.accessors import Accessor
from hpcagent.tools.loops.cparse import LOOP_TYPES, Source, declarator_name, line_of
from hpcagent.tools.loops.facts import EXIT_FUNCTIONS, IO_FUNCTIONS, READ_METHODS, BodyFacts, MemAccess, ScalarSite
from hpcagent.tools.loops.nests import Loop

__all__ = ["BodyFacts", "MemAccess", "ScalarSite", "Scanner", "callee_name"]


def callee_name(src: Source, call: ts.Node) -> str:
    """The called function's name: without `std::` or `::`, and without template arguments (`copy<float>` calls
    the template `copy`)."""
    fn = call.child_by_field_name("function")
    text = src.text_of(fn)
    for prefix in ("std::", "::"):
        text = text.removeprefix(prefix)
    if fn is not None and text.endswith(">") and "<" in text and not text.startswith("operator"):
        text = text[: text.index("<")].rstrip()
    return text


class Scanner:
    """Scans a loop body once; call `scan(loop)`."""

    def __init__(self, src: Source, loops_by_node: dict[int, Loop],
                 accessors: dict[tuple[str, int], Accessor] | None = None):
        self.src = src
        self.loops_by_node = loops_by_node
        self.accessors = accessors or {}
        """C++ member functions that hand out a data member (tools/loops/accessors.py): their calls are accesses."""
        self.bound: dict[str, ts.Node] = {}
        """References declared in the body -> the expression each is bound to."""
        self.facts = BodyFacts()
        self.inner: list[Loop] = []
        self.breakable = 0

    def scan(self, loop: Loop) -> BodyFacts:
        body = loop.body
        defined: set[str] = set()
        if loop.kind == "range" and loop.index:
            self.facts.declared.add(loop.index)
            defined.add(loop.index)
        end = self.stmt(body, defined) if body is not None else defined
        self.facts.defined_end = end or set()
        return self.facts

    # statements: return the set of definitely written scalars after, or None if control never falls through
    def stmt(self, node: ts.Node | None, defined: set[str] | None) -> set[str] | None:
        if node is None or defined is None:
            return defined
        t = node.type
        if t == "compound_statement" or t == "translation_unit":
            for child in node.named_children:
                defined = self.stmt(child, defined)
            return defined
        if t == "expression_statement":
            for child in node.named_children:
                if child.type == "binary_expression" and \
                        self.src.text_of(child.child_by_field_name("operator")) in ("<<", ">>"):
                    # `file << x << endl;`, `in >> a[i];`: a shift whose value is thrown away is a C++ stream
                    self.facts.io.append((f"stream {self.src.text_of(child.child_by_field_name('operator'))}",
                                          line_of(node)))
                self.expr(child, defined)
            return defined
        if t == "declaration":
            static = "static" in self.src.text_of(node).split("=")[0].split()
            for decl in node.children_by_field_name("declarator"):
                value = decl.child_by_field_name("value") if decl.type == "init_declarator" else None
                self.expr(value, defined)
                name = declarator_name(self.src, decl)
                inner = decl.child_by_field_name("declarator") if value is not None else None
                if inner is not None and inner.type == "reference_declarator":
                    self.bound[name] = value
                if not static:
                    self.facts.declared.add(name)
                    defined.add(name)
            return defined
        if t == "if_statement":
            self.expr(node.child_by_field_name("condition"), defined)
            then = self.stmt(node.child_by_field_name("consequence"), set(defined))
            alt_node = node.child_by_field_name("alternative")
            alt = self.stmt(alt_node, set(defined)) if alt_node is not None else set(defined)
            if then is None or alt is None:
                return alt if then is None else then
            return then & alt
        if t in LOOP_TYPES:
            return self.inner_loop(node, defined)
        if t == "switch_statement":
            self.expr(node.child_by_field_name("condition"), defined)
            self.breakable += 1
            self.stmt(node.child_by_field_name("body"), set(defined))
            self.breakable -= 1
            return defined
        if t in ("case_statement", "labeled_statement", "else_clause"):
            for child in node.named_children:
                if child.type.endswith("statement") or child.type in ("declaration", "compound_statement"):
                    defined = self.stmt(child, defined)
                else:
                    self.expr(child, defined)
            return defined
        if t == "break_statement":
            if not self.inner and not self.breakable:
                self.facts.exits.append(("break", line_of(node)))
            return None
        if t == "continue_statement":
            return None
        if t in ("return_statement", "goto_statement", "throw_statement"):
            for child in node.named_children:
                self.expr(child, defined)
            self.facts.exits.append((t.split("_")[0], line_of(node)))
            return None
        if t in ("comment", "preproc_call", "preproc_pragma"):
            return defined
        for child in node.named_children:
            self.expr(child, defined)
        return defined

    def inner_loop(self, node: ts.Node, defined: set[str]) -> set[str]:
        loop = self.loops_by_node.get(node.id)
        if loop is not None:
            self.inner.append(loop)
        if node.type == "for_statement":
            init = node.child_by_field_name("initializer")
            if init is not None and init.type == "declaration":
                self.stmt(init, defined)
            else:
                self.expr(init, defined)
            self.expr(node.child_by_field_name("condition"), defined)
            inside = self.stmt(node.child_by_field_name("body"), set(defined))
            self.expr(node.child_by_field_name("update"), inside if inside is not None else set(defined))
        elif node.type == "for_range_loop":
            self.expr(node.child_by_field_name("right"), defined)
            inside = set(defined) | {declarator_name(self.src, node.child_by_field_name("declarator"))}
            self.facts.declared |= inside - defined
            self.stmt(node.child_by_field_name("body"), inside)
        elif node.type == "while_statement":
            self.expr(node.child_by_field_name("condition"), defined)
            self.stmt(node.child_by_field_name("body"), set(defined))
        else:  # do: the body runs at least once, so its writes are definite
            after = self.stmt(node.child_by_field_name("body"), set(defined))
            defined = after if after is not None else defined
            self.expr(node.child_by_field_name("condition"), defined)
        if loop is not None:
            self.inner.pop()
        return defined

    # expressions
    def read(self, name: str, node: ts.Node, defined: set[str]) -> None:
        self.facts.sites.append(ScalarSite(name, False, node))
        if name not in defined:
            self.facts.exposed.add(name)
        bound = self.bound.pop(name.split(".")[0], None)
        if bound is not None:  # a reference declared in the body (`double &r = a[i - 1]`): a read of what it names
            self.expr(bound, defined)
            self.bound[name.split(".")[0]] = bound

    def write(self, name: str, node: ts.Node, op: str, defined: set[str]) -> None:
        self.facts.sites.append(ScalarSite(name, True, node, op))
        if op == "=":
            defined.add(name)
        bound = self.bound.pop(name.split(".")[0], None)
        if bound is not None:  # `double &r = a[0]; r += x;` or `Cell &c = cells[k]; c.n = 0;` store where r points
            self.lvalue(bound, defined, op if op in ("=", "") else "+=", bound)
            self.bound[name.split(".")[0]] = bound

    def lvalue(self, target: ts.Node, defined: set[str], op: str, site: ts.Node) -> None:
        """Record a store to target (op '=' is a plain store; others read first)."""
        t = target.type
        if t == "identifier":
            name = self.src.text_of(target)
            if op != "=":
                self.read(name, target, defined)
            self.write(name, site, op, defined)
        elif t == "parenthesized_expression" and target.named_child_count == 1:
            self.lvalue(target.named_children[0], defined, op, site)
        elif t in ("subscript_expression", "pointer_expression", "field_expression"):
            self.memory(target, defined, write=True, also_read=op != "=")
        elif t == "call_expression" and self.accessor_call(target, defined, True, op != "="):
            return
        elif t == "call_expression":
            self.expr(target, defined)  # a call giving back a reference: flagged as a call or a method unless ...
            fn, args = target.child_by_field_name("function"), target.child_by_field_name("arguments")
            if fn is not None and fn.type == "field_expression" and args is not None and \
                    self.src.text_of(fn.child_by_field_name("field")) in READ_METHODS:
                # ... a container's own element (`v.at(k) = x`, `v.back() = x`): a store into v
                obj, argv = fn.child_by_field_name("argument"), args.named_children
                subs = argv[:1] if self.src.text_of(fn.child_by_field_name("field")) == "at" else []
                for write in ([False] if op != "=" else []) + [True]:
                    self.facts.mem.append(MemAccess(self.src.text_of(obj), subs, write, target, tuple(self.inner),
                                                    "subscript" if subs else "deref"))
        else:
            self.expr(target, defined)

    def memory(self, node: ts.Node, defined: set[str], write: bool, also_read: bool = False) -> None:
        subs: list[ts.Node] = []
        cur = node
        while cur.type == "subscript_expression":
            index = cur.child_by_field_name("index")
            if index is None:
                holder = cur.child_by_field_name("indices")
                index = holder.named_children[0] if holder is not None and holder.named_children else None
            if index is not None:
                subs.insert(0, index)
                self.expr(index, defined)
            cur = cur.child_by_field_name("argument")
        via = "subscript"
        if cur.type == "pointer_expression" and self.src.text_of(cur).startswith("*"):
            via, cur = "deref", cur.child_by_field_name("argument")
        elif cur.type == "field_expression":
            arrow = self.src.text_of(cur.child_by_field_name("operator")) == "->"
            inner = cur.child_by_field_name("argument")
            if not arrow and not subs and inner is not None and inner.type in ("subscript_expression",
                                                                                "pointer_expression"):
                # a[i].x: an access to the element a[i] (all its members at once)
                self.memory(inner, defined, write, also_read)
                return
            if arrow or subs:
                via = "deref" if arrow else via
                self.expr(cur.child_by_field_name("argument"), defined)
            else:  # s.x: a scalar member of a struct value; track it as a scalar named 's.x'
                name = self.src.text_of(cur)
                if also_read or not write:
                    self.read(name, cur, defined)
                if write:
                    self.write(name, cur, "=" if not also_read else "+=", defined)
                return
        base = self.src.text_of(cur)
        member = self.accessor_of(cur) if cur.type == "call_expression" else None
        if member is not None and not member[1].params:  # mesh.data()[i]: mesh's member, subscripted
            base = member[0]
            self.expr(cur.child_by_field_name("function").child_by_field_name("argument"), defined)  # None: this
        elif cur.type not in ("identifier", "field_expression"):
            self.expr(cur, defined)
        if cur.type == "identifier":
            self.facts.sites.append(ScalarSite(base, False, cur))  # the pointer itself is read
        if also_read or not write:
            self.facts.mem.append(MemAccess(base, subs, False, node, tuple(self.inner), via))
        if write:
            self.facts.mem.append(MemAccess(base, subs, True, node, tuple(self.inner), via))

    def expr(self, node: ts.Node | None, defined: set[str]) -> None:
        if node is None:
            return
        t = node.type
        if t == "identifier":
            name = self.src.text_of(node)
            if name in IO_FUNCTIONS:
                self.facts.io.append((name, line_of(node)))
            self.read(name, node, defined)
        elif t == "assignment_expression":
            op = self.src.text_of(node.child_by_field_name("operator"))
            self.expr(node.child_by_field_name("right"), defined)
            self.lvalue(node.child_by_field_name("left"), defined, op, node)
        elif t == "update_expression":
            op = "++" if "++" in self.src.text_of(node) else "--"
            self.lvalue(node.child_by_field_name("argument"), defined, op, node)
        elif t in ("subscript_expression", "field_expression"):
            self.memory(node, defined, write=False)
        elif t == "pointer_expression":
            arg = node.child_by_field_name("argument")
            if self.src.text_of(node).startswith("&"):
                if arg is not None and arg.type == "identifier":
                    self.facts.address_taken.add(self.src.text_of(arg))
                self.expr(arg, defined)
            else:
                self.memory(node, defined, write=False)
        elif t == "call_expression":
            self.call(node, defined)
        elif t in ("conditional_expression",):
            self.expr(node.child_by_field_name("condition"), defined)
            self.expr(node.child_by_field_name("consequence"), set(defined))
            self.expr(node.child_by_field_name("alternative"), set(defined))
        elif t == "binary_expression" and self.src.text_of(node.child_by_field_name("operator")) in ("&&", "||"):
            self.expr(node.child_by_field_name("left"), defined)
            self.expr(node.child_by_field_name("right"), set(defined))
        elif t in ("qualified_identifier",):
            name = self.src.text_of(node).split("::")[-1]
            if name in IO_FUNCTIONS:
                self.facts.io.append((name, line_of(node)))
        elif t in ("lambda_expression", "compound_statement"):
            self.stmt(node, set(defined)) if t == "compound_statement" else None
        elif t in ("string_literal", "number_literal", "char_literal", "true", "false", "null", "comment",
                   "sizeof_expression", "type_descriptor", "primitive_type", "field_identifier"):
            return
        else:
            for child in node.named_children:
                self.expr(child, defined)

    def accessor_of(self, call: ts.Node) -> tuple[str, Accessor] | None:
        """(the member it reaches, as `obj.m_x` or `obj->m_x`; the accessor) for a call `obj.x(...)` of an
        accessor, else None."""
        fn, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if not self.accessors or fn is None or fn.type not in ("field_expression", "identifier") or args is None:
            return None
        method = fn.child_by_field_name("field") if fn.type == "field_expression" else fn
        acc = self.accessors.get((self.src.text_of(method), args.named_child_count))
        if acc is None:
            return None
        if fn.type == "identifier":  # x(i) inside a member function: no function of that name is anything else
            return f"this->{acc.field}", acc
        obj, op = fn.child_by_field_name("argument"), self.src.text_of(fn.child_by_field_name("operator"))
        return f"{self.src.text_of(obj)}{op}{acc.field}", acc

    def accessor_call(self, call: ts.Node, defined: set[str], write: bool, also_read: bool = False) -> bool:
        """Record a call of an accessor as the access it makes (`mesh.x(i) += v` reads and writes mesh.m_x[i]);
        False when it is no such call, or is written through but gives back no reference."""
        found = self.accessor_of(call)
        if found is None or (write and not found[1].ref):
            return False
        base, acc = found
        fn, argv = call.child_by_field_name("function"), call.child_by_field_name("arguments").named_children
        self.expr(fn.child_by_field_name("argument"), defined)  # None for an implicit this
        for arg in argv:
            self.expr(arg, defined)
        if not acc.params and "->" not in base:  # mesh.dt(): a scalar member, tracked as the scalar 'mesh.m_dt'
            if also_read or not write:
                self.read(base, call, defined)
            if write:
                self.write(base, call, "+=" if also_read else "=", defined)
            return True
        subs, via = [argv[p] for p in acc.params], "subscript" if acc.params else "deref"
        if also_read or not write:
            self.facts.mem.append(MemAccess(base, subs, False, call, tuple(self.inner), via))
        if write:
            self.facts.mem.append(MemAccess(base, subs, True, call, tuple(self.inner), via))
        return True

    def call(self, node: ts.Node, defined: set[str]) -> None:
        if self.accessor_call(node, defined, write=False):
            return
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is not None and fn.type == "field_expression":
            obj = fn.child_by_field_name("argument")
            method = self.src.text_of(fn.child_by_field_name("field"))
            self.facts.methods.append((self.src.text_of(obj), method, node))
            self.expr(obj, defined)
        else:
            name = callee_name(self.src, node)
            self.facts.calls.append((name, node))
            self.facts.call_loops[node.id] = tuple(self.inner)
            if name in IO_FUNCTIONS:
                self.facts.io.append((name, line_of(node)))
            if name in EXIT_FUNCTIONS:
                self.facts.exits.append((name, line_of(node)))
        for arg in args.named_children if args is not None else []:
            self.expr(arg, defined)
