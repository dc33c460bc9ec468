"""Fourier-Motzkin elimination: is a system of linear constraints satisfiable over the rationals?

Used as the last dependence test: the two accesses' subscripts are equal, both iterations lie inside their loop
bounds (also bounds affine in outer indices: `for (b = a; ...)`), and the first iteration comes before the other.
No rational solution means no integer one either, so infeasible proves the accesses independent. The answer
"feasible" is kept whenever the system is too big to finish (it is only ever used to prove independence).
"""

from __future__ import annotations

from fractions import Fraction

from hpcagent.tools.loops.affine import Affine

Row = dict[str, Fraction]
"""A constraint sum(coef * var) + row[""] >= 0."""

MAX_ROWS = 400
MAX_VARS = 24


def _row(value: Affine) -> Row | None:
    """value >= 0 as a row; None if value is not linear."""
    row: Row = {}
    for mono, coef in value.terms.items():
        if len(mono) > 1:
            return None
        row[mono[0] if mono else ""] = Fraction(coef)
    return row


def _normal(row: Row) -> tuple:
    """A hashable form, scaled so that equal half-spaces compare equal (drops duplicates)."""
    scale = max((abs(c) for v, c in row.items() if v and c), default=Fraction(1))
    return tuple(sorted((v, c / scale) for v, c in row.items() if c))


def _cost(rows: list[Row], var: str) -> int:
    """How many more rows eliminating var leaves."""
    pos = sum(1 for r in rows if r.get(var, 0) > 0)
    neg = sum(1 for r in rows if r.get(var, 0) < 0)
    return pos * neg - pos - neg


def feasible(nonneg: list[Affine], zero: list[Affine] = ()) -> bool:
    """True unless the constraints (each of nonneg >= 0, each of zero == 0) provably have no rational solution.

    Non-linear constraints are left out (fewer constraints: the answer stays sound), and a system that grows past
    MAX_ROWS rows while variables are eliminated is answered feasible.
    """
    rows: list[Row] = []
    for value in list(nonneg) + list(zero) + [v.scale(-1) for v in zero]:
        row = _row(value)
        if row is not None:
            rows.append(row)
    if any(not any(v for v in r if v) and r.get("", 0) < 0 for r in rows):
        return False  # 0 >= k with k > 0, as given
    variables = sorted({v for row in rows for v in row if v})
    if len(variables) > MAX_VARS:
        return True
    while variables:
        var = min(variables, key=lambda v, rows=rows: _cost(rows, v))  # the fewest new rows
        variables.remove(var)
        keep = [r for r in rows if not r.get(var)]
        pos = [r for r in rows if r.get(var, 0) > 0]
        neg = [r for r in rows if r.get(var, 0) < 0]
        for p in pos:
            for n in neg:
                a, b = p[var], -n[var]
                combined: Row = {}
                for v in set(p) | set(n):
                    if v != var:
                        c = p.get(v, 0) * b + n.get(v, 0) * a
                        if c:
                            combined[v] = c
                keep.append(combined)
        seen, rows = set(), []
        for r in keep:
            if not any(v for v in r if v) and r.get("", 0) >= 0:
                continue  # 0 >= -k: always true
            key = _normal(r)
            if key not in seen:
                seen.add(key)
                rows.append(r)
        if any(not any(v for v in r if v) and r.get("", 0) < 0 for r in rows):
            return False
        if len(rows) > MAX_ROWS:
            return True
    return not any(r.get("", 0) < 0 for r in rows)
