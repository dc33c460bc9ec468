"""Name the variable a compiler diagnostic or race report points at: the lvalue at a line and column."""

from __future__ import annotations

import re
from pathlib import Path

_IDENT = re.compile(r"[A-Za-z_]\w*")
_KEYWORDS = frozenset({
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "int", "long", "register", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
    "bool", "true", "false", "new", "delete", "this", "class", "template", "typename", "nullptr", "omp",
    "pragma"
})


def _is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _skip_spaces_left(text: str, i: int) -> int:
    while i >= 0 and text[i] == " ":
        i -= 1
    return i


def _skip_balanced_left(text: str, i: int) -> int:
    """From a closing bracket at i, return the index just left of its opening bracket (-1 if unbalanced)."""
    close = text[i]
    opener = {"]": "[", ")": "("}[close]
    depth = 0
    while i >= 0:
        if text[i] == close:
            depth += 1
        elif text[i] == opener:
            depth -= 1
            if depth == 0:
                return i - 1
        i -= 1
    return -1


def _ident_left(text: str, end: int) -> tuple[int, str] | None:
    """The identifier ending at index end (inclusive), as (start, name)."""
    start = end
    while start >= 0 and _is_ident_char(text[start]):
        start -= 1
    name = text[start + 1:end + 1]
    return (start + 1, name) if _IDENT.fullmatch(name) else None


def _lvalue_ending_at(text: str, i: int) -> str | None:
    """The lvalue whose last character is at i: `a[i][j]` -> a, `x->f` -> x->f, `s.f[k]` -> s.f."""
    i = _skip_spaces_left(text, i)
    while i >= 0 and text[i] == "]":  # subscripts name no variable of their own
        i = _skip_spaces_left(text, _skip_balanced_left(text, i))
    if i < 0 or not _is_ident_char(text[i]):
        return None
    found = _ident_left(text, i)
    if not found:
        return None
    start, name = found
    parts = [name]
    # Walk back over member accesses so `st->total` keeps its base.
    while True:
        j = _skip_spaces_left(text, start - 1)
        if j >= 1 and text[j - 1:j + 1] == "->":
            sep, j = "->", j - 2
        elif j >= 0 and text[j] == "." and not (j >= 1 and text[j - 1].isdigit()):
            sep, j = ".", j - 1
        else:
            break
        j = _skip_spaces_left(text, j)
        while j >= 0 and text[j] == "]":
            j = _skip_spaces_left(text, _skip_balanced_left(text, j))
        base = _ident_left(text, j) if j >= 0 else None
        if not base:
            break
        start = base[0]
        parts[0:0] = [base[1], sep]
    result = "".join(parts)
    return None if parts[0] in _KEYWORDS else result


def _ident_span(text: str, i: int) -> tuple[int, int]:
    start, end = i, i
    while start > 0 and _is_ident_char(text[start - 1]):
        start -= 1
    while end < len(text) and _is_ident_char(text[end]):
        end += 1
    return start, end


def variable_at(text: str, column: int) -> str | None:
    """Return the variable named by the expression at a 1-based column of a source line, or None."""
    if not text or column < 1 or text.lstrip().startswith("#"):
        return None
    i = min(column - 1, len(text) - 1)
    if _is_ident_char(text[i]) and not text[i].isdigit():
        _, end = _ident_span(text, i)
        # An identifier followed by member accesses is read as the whole chain's last member.
        tail = re.match(r"((\s*\[[^\]]*\])*\s*(->|\.)\s*[A-Za-z_]\w*)+", text[end:])
        return _lvalue_ending_at(text, end - 1 + (tail.end() if tail else 0))
    # Clang puts a compound assignment's or increment's column on the operator: the lvalue is to its left.
    left = _lvalue_ending_at(text, i - 1) if i > 0 else None
    if left:
        return left
    # A prefix ++/-- or a dereference: the operand is to the right.
    m = re.match(r"[\s*&+\-(]*([A-Za-z_]\w*(\s*(->|\.)\s*[A-Za-z_]\w*)*)", text[i:])
    if m:
        name = re.sub(r"\s+", "", m.group(1))
        return None if name.split("->")[0].split(".")[0] in _KEYWORDS else name
    return None


_ASSIGNED = re.compile(
    r"(?<![\w.>])(?P<lv>[A-Za-z_]\w*(?:\s*(?:\[[^\]]*\]|->\s*\w+|\.\s*[A-Za-z_]\w*))*)\s*"
    r"(?:(?:<<|>>|[-+*/%&|^])?=(?!=)|\+\+|--)"
    r"|(?:\+\+|--)\s*(?P<pre>[A-Za-z_]\w*)")


def assigned_on_line(text: str) -> str | None:
    """Return the first variable a source line assigns or increments (for reports that give no column)."""
    for m in _ASSIGNED.finditer(text.split("//")[0]):
        lv = m.group("lv")
        if lv is not None:
            name = _lvalue_ending_at(lv, len(lv) - 1)
        else:
            name = m.group("pre")
        if name and name not in _KEYWORDS:
            return name
    return None


def variable_in_file(path: Path, line: int, column: int) -> str | None:
    """Return the variable at line:column of a source file (column 0: the line's first assigned variable)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return None
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1].expandtabs(1)
    return variable_at(text, column) if column else assigned_on_line(text)
