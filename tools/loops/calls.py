"""Which calls a parallel loop may make: a whitelist of pure library functions plus this file's own pure ones."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter as ts

from hpcagent.tools.loops.access import Scanner
from hpcagent.tools.loops.accessors import returns_reference
from hpcagent.tools.loops.cparse import Source, functions, template_types
from hpcagent.tools.loops.facts import EXIT_FUNCTIONS, IO_FUNCTIONS
from hpcagent.tools.loops.symbols import function_symbols

PURE = {
    "sqrt", "cbrt", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "acos",
    "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "fabs", "abs", "labs", "llabs", "pow",
    "fmin", "fmax", "floor", "ceil", "round", "lround", "trunc", "fmod", "remainder", "hypot", "erf", "erfc",
    "tgamma", "copysign", "fma", "ldexp", "frexp_", "isnan", "isinf", "isfinite", "signbit", "fdim", "nearbyint",
    "rint", "min", "max", "MIN", "MAX", "ABS", "SQR", "sqr", "assert", "swap_", "sizeof", "real", "imag",
    "conj", "norm", "arg", "cabs", "creal", "cimag", "isless", "isgreater", "static_cast", "toupper", "tolower",
    "isdigit", "isalpha", "isspace", "atof", "atoi", "atol", "atoll",
    # C++ functional casts: float(x) converts, it calls nothing
    "float", "double", "int", "long", "unsigned", "short", "char", "bool", "size_t", "int64_t", "uint64_t",
    "int32_t", "uint32_t",
}
THREAD_SAFE = {"malloc", "calloc", "free", "aligned_alloc", "posix_memalign_"}
"""Not pure, but safe to call concurrently; the memory they return is fresh."""
WRITES_FIRST = {"qsort": 3, "memset": None, "memcpy": None, "memmove": None, "strcpy": None, "strncpy": None}
"""Library functions that write only the object their first argument points to; the value is the position of a
comparison function they call (qsort's), which must be pure."""
PURE |= {f + "f" for f in list(PURE)} | {f + "l" for f in list(PURE)}
# What the C library's macros expand to once preprocessed (tools/loops/views.py): compiler builtins of the pure
# functions above, glibc's classification helpers and assert's failure call (it ends the program).
PURE |= {"__builtin_" + f for f in list(PURE)} | {
    "__builtin_expect", "__builtin_constant_p", "__builtin_isinf_sign", "__builtin_isless", "__builtin_isgreater",
    "__builtin_islessequal", "__builtin_isgreaterequal", "__builtin_isunordered", "__builtin_fpclassify",
    "__builtin_huge_val",
    "__builtin_huge_valf", "__builtin_inf", "__builtin_inff", "__builtin_nan", "__builtin_nanf",
    "__assert_fail", "__assert_rtn", "__assert", "__assert_perror_fail",
    "__ctype_b_loc", "__ctype_tolower_loc", "__ctype_toupper_loc",
    *(f"{f}{s}" for f in ("__isnan", "__isinf", "__finite", "__fpclassify", "__signbit", "__iseqsig")
      for s in ("", "f", "l")),
}


@dataclass
class Effects:
    """What calling a function of this file does."""

    pure: bool
    reason: str = ""
    reads_args: set[int] = field(default_factory=set)
    """Pointer parameters read other than at subscripts it is handed (see indexed)."""
    reads_globals: set[str] = field(default_factory=set)
    indexed: list[tuple[int, tuple[int, ...], bool]] = field(default_factory=list)
    """Element accesses through a pointer parameter at subscripts that are scalar parameters, as (pointer
    parameter, subscript parameters, write): `seed[index] = ...` in f(int *seed, int index) is (0, (1,), True)."""
    only_indexed: bool = False
    """Not pure only because of the element writes in `indexed`: a caller that passes the pointer and the
    subscripts can hold those writes against its loop like its own `seed[x] = ...` (see verdict.py)."""
    ref_writes: set[int] = field(default_factory=set)
    """Reference parameters (`float3 &v`) the function writes, whole or a field of them (`v.x = ...`)."""
    only_refs: bool = False
    """Not pure only because of ref_writes: a caller that hands over variables of its own loop iteration there
    (declared in the loop's body) sees nothing but its own writes of them (see verdict.py)."""
    pointer_writes: set[int] = field(default_factory=set)
    """The ref_writes that are pointer parameters, never moved, written only in the object they point to (`*seed =
    ...`, `out[k] = ...`): the caller must hand over `&x` or an array x of its own (see own_object)."""
    deep_writes: set[int] = field(default_factory=set)
    """Pointer parameters, never moved, through which it writes memory the object points to (`atoms->gid[k] =
    ...`, `p->rows[i][j] = ...`): which elements, the analysis cannot tell."""
    only_deep: bool = False
    """Not pure only because of writes through pointer parameters (deep_writes, and possibly ref_writes or
    indexed): a loop calling it may still get an unproven candidate, left to the sandbox (see verdict.py)."""

    def element_writes(self) -> str:
        return ", ".join(f"#{p + 1}[{']['.join(f'#{q + 1}' for q in subs)}]" for p, subs, w in self.indexed if w)


def _params(src: Source, fn: ts.Node) -> list[str]:
    return [name for name, decl in function_symbols(src, fn).items() if decl.scope == "param"]


def file_effects(src: Source) -> dict[str, Effects]:
    """Summarise each function defined in the file (a call cycle counts as impure)."""
    return program_effects([src], src)


def program_effects(sources: list[Source], home: Source, near: list[Source] | None = None) -> dict[str, Effects]:
    """Summarise every function defined in the sources (a header's inline functions and C++ members defined in a
    class body included), as calls from `home` see them: its own definitions first, then those of `near` (the
    files of its directory: a tree holding several versions of one program, CoMD's src-serial, src-openmp and
    src-mpi, builds each from its own directory); a name defined more than once otherwise (overloads, members of
    several classes) is pure only if every definition is."""
    defs: dict[str, list[tuple[Source, ts.Node]]] = {}
    for src in [home, *(s for s in sources if s is not home)]:
        for name, node in functions(src):
            if src is not home and name in defs and defs[name][0][0] is home:
                continue  # the file's own definition wins
            defs.setdefault(name, []).append((src, node))
    close = {id(s) for s in near or []} | {id(home)}
    for name, found in defs.items():
        if 0 < len(mine := [d for d in found if id(d[0]) in close]) < len(found):
            defs[name] = mine
    memo: dict[str, Effects] = {}

    def effects(name: str, stack: tuple[str, ...]) -> Effects:
        if name in memo:
            return memo[name]
        if name in stack:
            return Effects(False, f"{name} is recursive")
        joined = Effects(True)
        for src, fn in defs[name]:
            one = effects_of(src, name, fn, stack)
            if not one.pure:
                joined = one
                break
            joined.reads_args |= one.reads_args
            joined.reads_globals |= one.reads_globals
            joined.indexed += one.indexed
        if len(defs[name]) > 1 and not joined.pure:
            joined = Effects(False, joined.reason)  # overloads: no element-level summary
        memo[name] = joined
        return joined

    def effects_of(src: Source, name: str, fn: ts.Node, stack: tuple[str, ...]) -> Effects:
        symbols = function_symbols(src, fn)
        params = _params(src, fn)
        scanner = Scanner(src, {})
        scanner.stmt(fn.child_by_field_name("body"), set())
        facts = scanner.facts
        result = Effects(True)
        local = facts.declared
        written = facts.writes()
        scalar_params = {p for p in params if symbols.get(p) is not None and symbols[p].kind == "scalar"
                         and p not in written}
        indexed: list[tuple[int, tuple[int, ...], bool]] = []
        refs: set[int] = set()
        pointers: set[int] = set()
        deep: dict[int, str] = {}  # pointer parameter -> the first write through it (deep_writes)

        def deep_param(base: str) -> int | None:
            root = root_of(base.strip("*& ()"))
            decl = symbols.get(root)
            ok = (decl is not None and decl.scope == "param" and decl.kind == "pointer" and root in params
                  and root not in written)
            return params.index(root) if ok else None

        def ref_param(base: str) -> int | None:
            root = root_of(base.strip("*& ()"))
            decl = symbols.get(root)
            ok = decl is not None and decl.scope == "param" and decl.kind == "scalar_ref" and root in params
            return params.index(root) if ok else None

        def pointer_param(m) -> int | None:
            """A write through a pointer parameter, never moved, into the object it points to: `*p`, `p->x`,
            `p[k]` or `p[k].x` (not `p[i][j]`, `p->rows[k]` or `p->a->b`: memory the object only points to)."""
            root, _, field = m.base.partition("->")
            decl = symbols.get(root)
            one = m.base == root or (field.isidentifier() and not m.subscripts)
            ok = (decl is not None and decl.scope == "param" and decl.kind == "pointer" and root in params and one
                  and root not in written and len(m.subscripts) <= (1 if m.via == "subscript" else 0))
            return params.index(root) if ok else None

        for site in facts.sites:
            root = root_of(site.name)
            decl = symbols.get(root)
            if site.name in local or (root in local and decl is not None and decl.kind in ("scalar", "struct")):
                continue  # a variable of its own, or a member of a struct of its own (`C.i = ...` in c_sub)
            if site.write and ref_param(site.name) is not None:
                refs.add(ref_param(site.name))
            elif site.write and (decl is None or decl.scope == "global" or decl.kind == "scalar_ref"):
                result = Effects(False, f"{name} writes {site.name}")
            elif decl is not None and decl.scope == "global":
                result.reads_globals.add(site.name)
        for m in facts.mem:
            root = m.base.split("[")[0].split("->")[0].strip("*& ()")
            subs = [src.text_of(x).strip() for x in m.subscripts]
            if (root in params and m.base == root and m.via == "subscript" and subs and m.offset is None
                    and all(x in scalar_params for x in subs) and root not in written):
                indexed.append((params.index(root), tuple(params.index(x) for x in subs), m.write))
            elif m.write and root not in local and ref_param(m.base) is not None and m.via != "subscript":
                refs.add(ref_param(m.base))
            elif m.write and pointer_param(m) is not None:
                refs.add(pointer_param(m))
                pointers.add(pointer_param(m))
            elif m.write and root not in local and deep_param(m.base) is not None:
                deep.setdefault(deep_param(m.base), m.base)
            elif m.write and root not in local:
                result = Effects(False, f"{name} writes {m.base}")
            elif root in params:
                result.reads_args.add(params.index(root))
            elif root not in local:
                result.reads_globals.add(root)
        wrapper = name in src.allocators  # its I/O and exit are a failed allocation's report
        if facts.io and not wrapper:
            result = Effects(False, f"{name} does I/O")
        if returns_reference(src, fn):  # a call's result may be written (`x(i) = 0`): accessors.py reads those
            result = Effects(False, f"{name} returns a reference its callers may write through")
        if "static" in src.text_of(fn.child_by_field_name("body")).split():
            result = Effects(False, f"{name} has static state")
        casts = template_types(src, fn)
        for callee, node in facts.calls:
            if callee in PURE or callee in casts or callee in THREAD_SAFE:  # allocating and freeing are thread-safe
                continue
            if wrapper and (callee in IO_FUNCTIONS or callee in EXIT_FUNCTIONS):
                continue
            texts = [src.text_of(a).strip() for a in (node.child_by_field_name("arguments").named_children
                                                      if node.child_by_field_name("arguments") else [])]
            if callee in WRITES_FIRST and texts:
                at, arg = WRITES_FIRST[callee], call_args(src, node)[0]
                compare = texts[at] if at is not None and at < len(texts) else None
                if compare is not None and compare not in PURE and not (compare in defs and effects(
                        compare, (*stack, name)).pure):
                    result = Effects(False, f"{name} calls {callee} with {compare}, not known to be pure")
                elif own_object(arg, local, symbols, True):
                    pass  # its own array
                elif arg in params and arg not in written and symbols[arg].kind == "pointer":
                    refs.add(params.index(arg))
                    pointers.add(params.index(arg))
                elif deep_param(texts[0]) is not None:
                    deep.setdefault(deep_param(texts[0]), texts[0])
                else:
                    result = Effects(False, f"{name} calls {callee} on {texts[0]}")
                continue
            if callee in defs:
                inner = effects(callee, (*stack, name))
                passed = _passed_params(src, node, params, scalar_params)
                if inner.only_indexed and passed is not None:
                    mapped = [(passed[p], tuple(passed[q] for q in subs), w) for p, subs, w in inner.indexed
                              if passed.get(p) is not None and all(passed.get(q) is not None for q in subs)]
                    if len(mapped) == len(inner.indexed) and all(params[p] not in scalar_params for p, _, _ in mapped):
                        indexed += mapped
                        result.reads_args |= {passed[i] for i in inner.reads_args if passed.get(i) is not None}
                        result.reads_globals |= inner.reads_globals
                        continue
                if inner.only_refs and passed is not None:
                    args = call_args(src, node)
                    mine = {p: args[p] if p < len(args) else "" for p in sorted(inner.ref_writes)}
                    # its own variables: nobody sees them; its own parameters: its caller hands them over
                    forwarded = {p: a for p, a in mine.items() if not own_object(a, local, symbols,
                                                                                  p in inner.pointer_writes)}
                    if all(a in params and a not in written and symbols[a].kind == (
                            "pointer" if p in inner.pointer_writes else "scalar_ref") for p, a in forwarded.items()):
                        refs |= {params.index(a) for a in forwarded.values()}
                        pointers |= {params.index(a) for p, a in forwarded.items() if p in inner.pointer_writes}
                        result.reads_globals |= inner.reads_globals
                        continue
                reach = inner.deep_writes | inner.ref_writes if inner.only_deep or inner.only_refs else set()
                if reach and all(p < len(texts) and deep_param(texts[p]) is not None for p in reach):
                    for p in sorted(reach):  # it writes what the caller's pointer parameters reach
                        deep.setdefault(deep_param(texts[p]), f"{texts[p]} (in {callee})")
                    result.reads_globals |= inner.reads_globals
                    continue
                if not inner.pure:
                    result = Effects(False, f"{name} calls {callee}: {inner.reason}")
                result.reads_globals |= inner.reads_globals
            else:
                result = Effects(False, f"{name} calls {callee}, not known to be pure")
        if result.pure and deep:
            first = deep[min(deep)]
            return Effects(False, f"{name} writes {first}", result.reads_args, result.reads_globals, indexed,
                           deep_writes=set(deep) | refs, only_deep=True)
        if result.pure and refs and not any(w for _, _, w in indexed):
            written_refs = ", ".join(params[p] for p in sorted(refs))
            kind = ("reference" if not pointers else "pointer" if pointers == refs else "reference and pointer")
            return Effects(False, f"{name} writes {written_refs} ({kind} parameters)", result.reads_args,
                           result.reads_globals, indexed, ref_writes=refs, only_refs=True, pointer_writes=pointers)
        if refs and result.pure:
            result = Effects(False, f"{name} writes {', '.join(params[p] for p in sorted(refs))}")
        if result.pure and any(w for _, _, w in indexed):
            writes = ", ".join(sorted({f"{params[p]}[{']['.join(params[q] for q in subs)}]"
                                       for p, subs, w in indexed if w}))
            return Effects(False, f"{name} writes {writes}", result.reads_args, result.reads_globals, indexed, True)
        result.indexed = indexed
        return result

    return {name: effects(name, ()) for name in defs}


def call_args(src: Source, call: ts.Node) -> list[str]:
    """Each argument of a call as its text when it is a plain name or a name's address (`&x`), else ""."""
    args = call.child_by_field_name("arguments")

    def one(a: ts.Node) -> str:
        inner = a.child_by_field_name("argument") if a.type == "pointer_expression" else None
        if inner is not None and inner.type == "identifier" and src.text_of(a).lstrip().startswith("&"):
            return "&" + src.text_of(inner).strip()
        return src.text_of(a).strip() if a.type == "identifier" else ""
    return [one(a) for a in (args.named_children if args else [])]


def own_object(arg: str, declared: set[str], symbols: dict, pointer: bool) -> bool:
    """The call argument hands over an object declared among `declared` (a loop body's or a function's own
    variables), not memory reached through a pointer: `x` for a reference parameter; `&x`, or an array x, for a
    pointer parameter."""
    name = arg.removeprefix("&") if pointer else arg
    decl = symbols.get(name)
    if name not in declared or (decl is not None and decl.kind in ("scalar_ref", "ref", "pointer")):
        return False
    return not pointer or arg.startswith("&") or (decl is not None and decl.kind == "array")


def handed_rows(call: ts.Node, eff: Effects, facts) -> dict:
    """The pointer parameters written only in the object they point to (Effects.pointer_writes) that the call
    hands a row of an array (`zero3(f[i])`): parameter -> the loop's read of that row at the call (a MemAccess of
    facts.mem), which then counts as a write of the whole row, held against the loop's other accesses like its own
    `f[i] = ...` would be (tools/loops/verdict.py)."""
    args = call.child_by_field_name("arguments")
    argv = args.named_children if args is not None else []
    out = {}
    for p in eff.pointer_writes:
        if p < len(argv) and argv[p].type == "subscript_expression":
            read = next((m for m in facts.mem if m.node.id == argv[p].id and not m.write), None)
            if read is not None:
                out[p] = read
    return out


def root_of(name: str) -> str:
    """The variable an access starts from: `s` for `s.x`, `p->a` or `a[i]`."""
    return re.split(r"\.|->|\[", name, maxsplit=1)[0]


def _passed_params(src: Source, call: ts.Node, params: list[str], scalars: set[str]) -> dict[int, int | None] | None:
    """For a call inside a function: argument position -> the index of the caller's parameter passed there as is
    (None for any other argument); None when the call has no argument list."""
    args = call.child_by_field_name("arguments")
    if args is None:
        return None
    out: dict[int, int | None] = {}
    for i, arg in enumerate(args.named_children):
        text = src.text_of(arg).strip()
        out[i] = params.index(text) if arg.type == "identifier" and text in params else None
    return out


def call_problem(name: str, effects: dict[str, Effects]) -> str | None:
    """Return why a call to name prevents parallelisation, or None if it is safe."""
    if name in PURE or name in IO_FUNCTIONS or name in THREAD_SAFE:
        return None
    if name in effects:
        return None if effects[name].pure else f"call to {name}: {effects[name].reason}"
    return f"call to {name}, not known to be free of side effects"
