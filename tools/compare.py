"""Compare program outputs with the baseline's: text must match, numbers within a tolerance."""

from __future__ import annotations

import math
import re

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)", re.IGNORECASE)


def _tokens(text: str) -> list[tuple[str, str]]:
    """Split text into ('num', s) and ('text', s) tokens, whitespace-insensitive."""
    out, pos = [], 0
    for m in NUMBER.finditer(text):
        out.extend(("text", t) for t in text[pos:m.start()].split())
        out.append(("num", m.group()))
        pos = m.end()
    out.extend(("text", t) for t in text[pos:].split())
    return out


def close(a: float, b: float, rtol: float, atol: float) -> bool:
    """True when a and b agree within rtol/atol (NaN equals NaN: a reproduced NaN is not a new error)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)


def compare_text(expected: str, actual: str, rtol: float = 1e-6, atol: float = 1e-9) -> str | None:
    """Return None when the outputs agree, else a one-line description of the first difference."""
    exp, act = _tokens(expected), _tokens(actual)
    for i, (e, a) in enumerate(zip(exp, act)):
        if e[0] != a[0] or (e[0] == "text" and e[1] != a[1]):
            return f"token {i + 1}: expected {e[1]!r}, got {a[1]!r}"
        if e[0] == "num" and not close(float(e[1]), float(a[1]), rtol, atol):
            return f"number {i + 1}: expected {e[1]}, got {a[1]} (rtol {rtol:g}, atol {atol:g})"
    if len(exp) != len(act):
        return f"expected {len(exp)} tokens, got {len(act)}"
    return None
