"""Affine (polynomial of degree <= 2) integer expressions over variables, built from syntax trees."""

from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter as ts

from hpcagent.tools.loops.cparse import Source, int_value

Mono = tuple[str, ...]
"""A monomial: sorted variable names; () is the constant term."""


@dataclass(frozen=True)
class Affine:
    """sum(coef * product(vars)); terms maps monomials to non-zero integer coefficients."""

    terms: dict[Mono, int] = field(default_factory=dict)

    @staticmethod
    def const(value: int) -> Affine:
        return Affine({(): value} if value else {})

    @staticmethod
    def var(name: str) -> Affine:
        return Affine({(name,): 1})

    def __add__(self, other: Affine) -> Affine:
        out = dict(self.terms)
        for mono, coef in other.terms.items():
            out[mono] = out.get(mono, 0) + coef
            if out[mono] == 0:
                del out[mono]
        return Affine(out)

    def scale(self, k: int) -> Affine:
        return Affine({m: c * k for m, c in self.terms.items()} if k else {})

    def __sub__(self, other: Affine) -> Affine:
        return self + other.scale(-1)

    def __mul__(self, other: Affine) -> Affine | None:
        out = Affine()
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                mono = tuple(sorted(m1 + m2))
                if len(mono) > 2:
                    return None
                out = out + Affine({mono: c1 * c2})
        return out

    @property
    def constant(self) -> int:
        return self.terms.get((), 0)

    def variables(self) -> set[str]:
        return {v for mono in self.terms for v in mono}

    def coef(self, name: str) -> int | None:
        """Integer coefficient of a variable that appears only linearly (None if it appears in a product)."""
        if any(name in m and m != (name,) for m in self.terms):
            return None
        return self.terms.get((name,), 0)

    def is_const(self) -> bool:
        return all(m == () for m in self.terms)

    def rename(self, mapping: dict[str, str]) -> Affine:
        return Affine({tuple(sorted(mapping.get(v, v) for v in m)): c for m, c in self.terms.items()})

    def substitute(self, env: dict[str, Affine]) -> Affine | None:
        """Replace variables by their definitions in env (None if a product would exceed degree 2)."""
        out = Affine()
        for mono, coef in self.terms.items():
            term: Affine | None = Affine.const(coef)
            for v in mono:
                term = term * env.get(v, Affine.var(v)) if term is not None else None
            if term is None:
                return None
            out = out + term
        return out

    def __str__(self) -> str:
        if not self.terms:
            return "0"
        parts = []
        for mono, coef in sorted(self.terms.items(), key=lambda kv: (-len(kv[0]), kv[0])):
            body = "*".join(mono)
            parts.append(str(coef) if not mono else body if coef == 1 else f"{coef}*{body}")
        return " + ".join(parts).replace("+ -", "- ")


def to_affine(src: Source, node: ts.Node | None, env: dict[str, Affine] | None = None) -> Affine | None:
    """Convert an integer expression to Affine, or None if it is not affine (calls, divisions, loads)."""
    if node is None:
        return None
    kind = node.type
    if kind == "number_literal":
        value = int_value(src.text_of(node))
        return Affine.const(value) if value is not None else None
    if kind == "identifier":
        name = src.text_of(node)
        if env and name in env:
            return env[name]
        if name in src.constants:
            return Affine.const(src.constants[name])
        return Affine.var(name)
    if kind == "parenthesized_expression" and node.named_child_count == 1:
        return to_affine(src, node.named_children[0], env)
    if kind == "cast_expression":
        return to_affine(src, node.child_by_field_name("value"), env)
    if kind == "unary_expression":
        inner = to_affine(src, node.child_by_field_name("argument"), env)
        op = src.text_of(node.child_by_field_name("operator"))
        if inner is None or op not in ("-", "+"):
            return None
        return inner.scale(-1) if op == "-" else inner
    if kind == "binary_expression":
        op = src.text_of(node.child_by_field_name("operator"))
        left = to_affine(src, node.child_by_field_name("left"), env)
        right = to_affine(src, node.child_by_field_name("right"), env)
        if left is None or right is None:
            return None
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op in ("/", "<<") and right.is_const() and left.is_const() and right.constant:
            value = left.constant // right.constant if op == "/" else left.constant << right.constant
            return Affine.const(value)
    return None
