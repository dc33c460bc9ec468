"""Which calls a parallel loop may make: a whitelist of pure library functions plus this file's own pure ones."""

from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter as ts

from hpcagent.tools.loops.access import Scanner
from hpcagent.tools.loops.cparse import Source, functions
from hpcagent.tools.loops.facts import IO_FUNCTIONS
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
    reads_globals: set[str] = field(default_factory=set)


def _params(src: Source, fn: ts.Node) -> list[str]:
    return [name for name, decl in function_symbols(src, fn).items() if decl.scope == "param"]


def file_effects(src: Source) -> dict[str, Effects]:
    """Summarise each function defined in the file (a call cycle counts as impure)."""
    return program_effects([src], src)


def program_effects(sources: list[Source], home: Source) -> dict[str, Effects]:
    """Summarise every function defined in the sources (a header's inline functions and C++ members defined in a
    class body included), as calls from `home` see them: its own definitions first; a name defined more than once
    elsewhere (overloads, members of several classes) is pure only if every definition is."""
    defs: dict[str, list[tuple[Source, ts.Node]]] = {}
    for src in [home, *(s for s in sources if s is not home)]:
        for name, node in functions(src):
            if src is not home and name in defs and defs[name][0][0] is home:
                continue  # the file's own definition wins
            defs.setdefault(name, []).append((src, node))
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
        for site in facts.sites:
            decl = symbols.get(site.name)
            if site.name in local:
                continue
            if site.write and (decl is None or decl.scope == "global" or decl.kind == "scalar_ref"):
                result = Effects(False, f"{name} writes {site.name}")
            elif decl is not None and decl.scope == "global":
                result.reads_globals.add(site.name)
        for m in facts.mem:
            root = m.base.split("[")[0].split("->")[0].strip("*& ()")
            if m.write and root not in local:
                result = Effects(False, f"{name} writes {m.base}")
            elif root in params:
                result.reads_args.add(params.index(root))
            elif root not in local:
                result.reads_globals.add(root)
        if facts.io:
            result = Effects(False, f"{name} does I/O")
        if "static" in src.text_of(fn.child_by_field_name("body")).split():
            result = Effects(False, f"{name} has static state")
        for callee, _ in facts.calls:
            if callee in PURE:
                continue
            if callee in defs:
                inner = effects(callee, (*stack, name))
                if not inner.pure:
                    result = Effects(False, f"{name} calls {callee}: {inner.reason}")
                result.reads_globals |= inner.reads_globals
            else:
                result = Effects(False, f"{name} calls {callee}, not known to be pure")
        return result

    return {name: effects(name, ()) for name in defs}


def call_problem(name: str, effects: dict[str, Effects]) -> str | None:
    """Return why a call to name prevents parallelisation, or None if it is safe."""
    if name in PURE or name in IO_FUNCTIONS or name in THREAD_SAFE:
        return None
    if name in effects:
        return None if effects[name].pure else f"call to {name}: {effects[name].reason}"
    return f"call to {name}, not known to be free of side effects"
