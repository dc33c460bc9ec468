"""What the LLM planner shows the model about a loop: its enclosing function, numbered, trimmed to fit."""

from __future__ import annotations

from pathlib import Path

from hpcagent.records import LoopTarget
from hpcagent.tools.sources import C_FILES

MAX_LINES = 60
"""Longest excerpt shown; a tiny model pays seconds for every extra line of context."""


def function_span(path: Path, line: int) -> tuple[int, int] | None:
    """Return the first and last line (1-based) of the function that contains line, using tree-sitter."""
    try:
        import tree_sitter
        if path.suffix in C_FILES:
            import tree_sitter_c as grammar
        else:
            import tree_sitter_cpp as grammar
    except ImportError:
        return None
    parser = tree_sitter.Parser(tree_sitter.Language(grammar.language()))
    tree = parser.parse(path.read_bytes())
    best = None
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        first, last = node.start_point[0] + 1, node.end_point[0] + 1
        if not first <= line <= last:
            continue
        if node.type == "function_definition":
            best = (first, last)  # keep descending: a lambda or nested definition is tighter
        stack.extend(node.children)
    return best


def target_span(target: LoopTarget, root: Path, extra: dict) -> tuple[int, int]:
    """The enclosing function's lines: from the context if discovery gave them, else parsed, else the loop."""
    given = extra.get("function_span")
    if given:
        return int(given[0]), int(given[1])
    path = root / target.file
    span = function_span(path, target.line) if path.is_file() else None
    return span or (target.line, target.end_line)


def numbered_excerpt(lines: list[str], span: tuple[int, int], target: LoopTarget,
                     max_lines: int = MAX_LINES) -> str:
    """Number the function's lines; when it is long keep its first line and a window around the loop."""
    first, last = span
    shown = list(range(first, last + 1))
    if len(shown) > max_lines:
        room = max(max_lines - (target.end_line - target.line + 1) - 1, 4)
        lo = max(first + 1, target.line - room * 2 // 3)
        hi = min(last, max(target.end_line, lo) + room // 3)
        shown = [first, *range(lo, hi + 1)]
    width = len(str(shown[-1]))
    out, previous = [], None
    for number in shown:
        if previous is not None and number != previous + 1:
            out.append(" " * width + "  ...")
        text = lines[number - 1] if number <= len(lines) else ""
        out.append(f"{number:>{width}}: {text.rstrip()}")
        previous = number
    return "\n".join(out)
