"""Compare program outputs with the original's, line by line: text must match, numbers within a tolerance; lines the
user leaves out, and lines or numbers that change between the original's own runs (timings, dates), are not
compared (an `OutputMask`)."""

from __future__ import annotations

import math
import re

from hpcagent.evidence import OutputMask

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)", re.IGNORECASE)
# Lines that report how long something took, a rate, or a time of day: not results, whatever two runs printed.
TIMING = re.compile(
    r"\b(?:elapsed|wall|cpu|run|exec\w*|comput\w*|total|kernel|solve[rd]?|loop)[ _-]*time"
    r"|\btim(?:e|ing|er)s?\s*(?:\(\s*\w+\s*\))?\s*[:=]|\btook\b|\bseconds\b|\bsecs\b"
    r"|\d\s*(?:s|secs?|seconds?|ms|msecs?|milliseconds?|us|usecs?|microseconds?|ns)\b(?!\s*[=:])"
    r"|\b[kmgtp]?flops?\b|\b[kmgtp]?flop/s\b|\b[kmgt]i?b/s\b|\d\d:\d\d:\d\d"
    r"|\d\s*[a-z]+/(?:s|secs?|seconds?|ms|us|ns)\b",  # a rate: 0.08 atoms/us, 1.2e6 lookups/s
    re.IGNORECASE)
UNIT_COLUMN = re.compile(r"\(\s*(?:s|secs?|seconds|ms|us|ns|MCyc)\s*\)", re.IGNORECASE)
"""A column heading in time units: `Total (s)`, `Min(s)`, `Avg/Call (MCyc)`."""


def timing_rows(text: str, mask: OutputMask) -> set[int]:
    """The rows of the text's tables of timings, as indexes of the lines mask.kept keeps: the lines under a header
    with two or more columns in time units (CoMD's `Avg/Call (s)   Total (s)`), up to the next blank line."""
    rows, k, inside = set(), 0, False
    for line in text.splitlines():
        if not line.strip():
            inside = False
        elif mask.kept(line):
            if inside:
                rows.add(k)
            inside = inside or len(UNIT_COLUMN.findall(line)) >= 2
            k += 1
    return rows


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


def learn_mask(samples: list[str], ignore: list[str] = (), only: list[str] = (),
               tolerances: dict[str, float] | None = None, auto: bool = True) -> OutputMask:
    """The mask of an output from several runs of the original: with `auto`, lines whose text changed between the
    runs or that read as a timing, and numbers that changed, are left out (and said in `notes`)."""
    mask = OutputMask(ignore=list(ignore), only=list(only), tolerances=dict(tolerances or {}))
    if not auto or not samples:
        return mask
    runs = [mask.kept(s) for s in samples]
    first, count = runs[0], min(len(r) for r in runs)
    table = timing_rows(samples[0], mask)
    for i, line in enumerate(first):
        if i >= count:
            mask.lines.append(i)
            mask.notes.append(f"line {i + 1} `{line[:80]}`: not printed by every run of the original")
            continue
        others = [r[i] for r in runs[1:]]
        if TIMING.search(line) or i in table:
            mask.lines.append(i)
            mask.notes.append(f"line {i + 1} `{line[:80]}`: " + ("a row of a table of timings" if i in table else
                                                                 "reads as a timing, a rate or a clock time"))
            continue
        toks = _tokens(line)
        shapes = {tuple(t if k == "text" else "#" for k, t in _tokens(o)) for o in others}
        if shapes != {tuple(t if k == "text" else "#" for k, t in toks)}:
            mask.lines.append(i)
            mask.notes.append(f"line {i + 1} `{line[:80]}`: its text changes between runs of the original")
            continue
        nums = [t for k, t in toks if k == "num"]
        theirs = [[t for k, t in _tokens(o) if k == "num"] for o in others]
        for n, value in enumerate(nums):
            if any(t[n] != value for t in theirs):
                mask.numbers.append([i, n])
                mask.notes.append(f"line {i + 1} `{line[:80]}`: number {n + 1} ({value}) changes between runs "
                                  "of the original")
    _whole_columns(mask, first[:count])
    return mask


def _shape(line: str) -> tuple[str, ...]:
    return tuple(t if k == "text" else "#" for k, t in _tokens(line))


def _whole_columns(mask: OutputMask, lines: list[str]) -> None:
    """A number that changed between the original's runs on one row of a table changes on every row: the same
    position is left out of every line of that shape (CoMD's per-step rows end in a time per atom, which two runs
    can print alike on some rows)."""
    shapes = [_shape(line) for line in lines]
    columns = {(shapes[i], n) for i, n in mask.numbers}
    have = {(i, n) for i, n in mask.numbers}
    added: dict[tuple, int] = {}
    for i, shape in enumerate(shapes):
        for s, n in columns:
            if s == shape and (i, n) not in have and i not in mask.lines:
                mask.numbers.append([i, n])
                added[(s, n)] = added.get((s, n), 0) + 1
    for (s, n), rows in added.items():
        first = next(lines[i] for i in range(len(lines)) if shapes[i] == s)
        mask.notes.append(f"number {n + 1} of {rows} more line(s) shaped like `{first[:60]}`: it changes between "
                          "runs of the original on other rows of that table")


def _compare_line(e: str, a: str, rtol: float, atol: float, skip: set[int]) -> str | None:
    exp, act = _tokens(e), _tokens(a)
    n = -1
    for (ek, et), (ak, at) in zip(exp, act):
        n += ek == "num"
        if ek != ak or (ek == "text" and et != at):
            return f"expected {et!r}, got {at!r}"
        if ek == "num" and n not in skip and not close(float(et), float(at), rtol, atol):
            return f"number {n + 1}: expected {et}, got {at} (rtol {rtol:g}, atol {atol:g})"
    if len(exp) != len(act):
        return f"expected {len(exp)} tokens, got {len(act)}"
    return None


def compare_text(expected: str, actual: str, rtol: float = 1e-6, atol: float = 1e-9,
                 mask: OutputMask | None = None, trees: tuple[str, str] = ("", "")) -> str | None:
    """Return None when the outputs agree line by line under the mask, else the first difference in words.
    trees: the absolute paths of the copies that wrote each text, read as one (`<tree>`): a program that prints
    where it was built or runs (CoMD prints its compiler's path) prints the same from every copy."""
    expected, actual = (t.replace(path, "<tree>") if path else t for t, path in zip((expected, actual), trees))
    mask = mask or OutputMask()
    exp, act = mask.kept(expected), mask.kept(actual)
    skipped = set(mask.lines)
    for i, (e, a) in enumerate(zip(exp, act)):
        if i in skipped:
            continue
        diff = _compare_line(e, a, mask.rtol_for(e, rtol), atol, {n for ln, n in mask.numbers if ln == i})
        if diff:
            return f"line {i + 1} `{e[:60]}`: {diff}"
    if len(exp) != len(act):
        return f"expected {len(exp)} lines, got {len(act)}"
    return None
