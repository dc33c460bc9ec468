"""Loop-carried dependence tests on affine subscripts: ZIV, strong/weak SIV, GCD and Banerjee bounds."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hpcagent.tools.loops.affine import Affine

INF = math.inf
Interval = tuple[float, float]


@dataclass
class Dep:
    """The answer for one pair of accesses and one loop."""

    status: str
    """independent, dependent (proven, with distance when known) or possible (cannot tell)."""
    reason: str = ""
    distance: int | None = None


def gcd_excludes(h: Affine) -> bool:
    """GCD test: h(vars) = 0 has no integer solution when gcd(coefficients) does not divide the constant."""
    coefs = [c for m, c in h.terms.items() if m]
    if not coefs:
        return h.constant != 0
    g = 0
    for c in coefs:
        g = math.gcd(g, abs(c))
    return h.constant % g != 0


def _times(c: int, iv: Interval) -> Interval:
    if c == 0:
        return (0.0, 0.0)
    a, b = c * iv[0], c * iv[1]
    return (min(a, b), max(a, b))


def interval_of(h: Affine, ranges: dict[str, Interval]) -> Interval | None:
    """Range of a linear h given variable ranges (missing = unbounded); None if h is not linear."""
    lo = hi = float(h.constant)
    for mono, coef in h.terms.items():
        if not mono:
            continue
        if len(mono) != 1:
            return None
        a, b = _times(coef, ranges.get(mono[0], (-INF, INF)))
        lo, hi = lo + a, hi + b
    return lo, hi


def banerjee_excludes(h: Affine, v1: str, v2: str, direction: str, ranges: dict[str, Interval],
                      step: int = 1) -> bool:
    """Banerjee bounds: with v2 = v1 + delta (delta >= |step| for '<', <= -|step| for '>'), can h be 0?"""
    if any(len(m) > 1 for m in h.terms):
        return False
    c1, c2 = h.terms.get((v1,), 0), h.terms.get((v2,), 0)
    rest = Affine({m: c for m, c in h.terms.items() if m not in ((v1,), (v2,))})
    lo1, hi1 = ranges.get(v1, (-INF, INF))
    span = hi1 - lo1 if lo1 > -INF and hi1 < INF else INF
    gap = abs(step) or 1
    if span < gap:
        return True  # at most one iteration: nothing can be carried
    delta = (gap, span) if direction == "<" else (-span, -gap)
    # v1 must leave room for v2 = v1 + delta inside the bounds
    v1_range = (lo1, hi1 - gap) if direction == "<" else (lo1 + gap, hi1)
    total = interval_of(rest, ranges)
    if total is None:
        return False
    a = _times(c1 + c2, v1_range)
    b = _times(c2, delta)
    low, high = total[0] + a[0] + b[0], total[1] + a[1] + b[1]
    return low > 0 or high < 0


def strong_siv_distance(h: Affine, v1: str, v2: str) -> int | str | None:
    """For h = a*v1 - a*v2 + k: the distance v2 - v1 = k/a; 'none' if not an integer; None if not strong SIV."""
    vars_ = h.variables()
    if not vars_ <= {v1, v2} or any(len(m) > 1 for m in h.terms):
        return None
    a, b = h.terms.get((v1,), 0), h.terms.get((v2,), 0)
    if a == 0 and b == 0:
        return 0 if h.constant == 0 else "none"
    if a != -b:
        return None
    if h.constant % a:
        return "none"
    return h.constant // a


def weak_zero_iteration(h: Affine, v1: str, v2: str) -> float | None:
    """Weak-zero SIV: h = a*v (one side only) + k; the single iteration that touches the other's element."""
    vars_ = h.variables()
    if len(vars_) != 1 or not vars_ <= {v1, v2} or any(len(m) > 1 for m in h.terms):
        return None
    coef = h.terms.get((next(iter(vars_)),), 0)
    return -h.constant / coef if coef else None


def _equalizable(h: Affine, v1: str, v2: str) -> bool:
    """h = sum c*(x#1 - x#2) over inner indices: zero whenever both accesses use the same inner values."""
    if h.constant or {v1, v2} & h.variables() or any(len(m) != 1 for m in h.terms if m):
        return False
    for (name,), coef in h.terms.items():
        base, _, tag = name.rpartition("#")
        twin = f"{base}#{'2' if tag == '1' else '1'}"
        if h.terms.get((twin,), 0) != -coef:
            return False
    return True


def symbolic_excludes(h: Affine, bounds: dict[str, tuple[Affine, Affine]]) -> bool:
    """h = 0 is impossible because h's symbolic range (loop bounds such as k+1..n-1) is strictly one-signed."""
    lo = hi = Affine.const(h.constant)
    for mono, coef in h.terms.items():
        if not mono:
            continue
        if len(mono) != 1:
            return False
        name = mono[0]
        if name in bounds:
            low, high = bounds[name]
            lo, hi = (lo + low.scale(coef), hi + high.scale(coef)) if coef > 0 else \
                (lo + high.scale(coef), hi + low.scale(coef))
        elif "#" not in name:
            lo, hi = lo + Affine({mono: coef}), hi + Affine({mono: coef})
        else:
            return False
    return (lo.is_const() and lo.constant > 0) or (hi.is_const() and hi.constant < 0)


def test_dimensions(dims: list[Affine | None], v1: str, v2: str, ranges: dict[str, Interval],
                    step: int = 1, bounds: dict[str, tuple[Affine, Affine]] | None = None) -> Dep:
    """Decide whether two accesses whose subscripts differ by dims[k] (= 0 when equal) depend across v."""
    independent = {"<": False, ">": False}
    exact, distances, why = True, set(), []
    for k, h in enumerate(dims):
        if h is None:
            exact = False
            why.append(f"subscript {k + 1} is not affine")
            continue
        if gcd_excludes(h):
            return Dep("independent", f"GCD test: subscript {k + 1} never equal")
        if bounds and symbolic_excludes(h, bounds):
            return Dep("independent", f"bounds test: subscript {k + 1} never equal within the loop bounds")
        for direction, done in list(independent.items()):
            if not done and banerjee_excludes(h, v1, v2, direction, ranges, step):
                independent[direction] = True
        dist = strong_siv_distance(h, v1, v2)
        if dist == "none":
            return Dep("independent", f"SIV: subscript {k + 1} distance is not an integer")
        if isinstance(dist, int) and dist % (abs(step) or 1):
            return Dep("independent", f"SIV: distance {dist} is not a multiple of the step {step}")
        if isinstance(dist, int):
            if h.variables():
                distances.add(dist)
        elif _equalizable(h, v1, v2):
            continue  # equal values of the shared inner indices make this subscript equal
        else:
            exact = False
            zero = weak_zero_iteration(h, v1, v2)
            if zero is not None and zero != int(zero):
                return Dep("independent", f"weak-zero SIV: subscript {k + 1} meets at no integer iteration")
    if all(independent.values()):
        return Dep("independent", "Banerjee bounds exclude a carried dependence")
    if exact and len(distances) > 1:
        return Dep("independent", "subscripts need different distances at once")
    if exact:
        if distances == {0}:
            return Dep("independent", "same element only within one iteration")
        if not distances:
            return Dep("dependent", "same element every iteration")
        dist = distances.pop()
        return Dep("dependent", f"distance {abs(dist)}", abs(dist))
    if all(h is not None and not ({v1, v2} & h.variables()) for h in dims):
        return Dep("dependent", "every iteration touches the same elements")
    return Dep("possible", "; ".join(why) or "dependence tests cannot exclude it")
