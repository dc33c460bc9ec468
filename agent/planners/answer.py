"""The LLM planner's answer format: find the JSON object in a model's answer, check it, make a Proposal.

The model answers with exactly one JSON object, in one of two forms:

    {"action": "pragma", "line": N, "pragma": "#pragma omp parallel for ..."}
        insert the directive before line N, which must be the target loop's first line;
        the directive is one line, starts with '#pragma omp' and names a loop construct.
    {"action": "edit", "start_line": A, "end_line": B, "new_text": "..."}
        replace lines A..B (inclusive) with new_text. A..B must lie inside the loop's enclosing
        function and overlap the loop: a rewrite may reach before the loop (e.g. to declare a
        private copy or split a reduction), never into another function. new_text must keep the
        brace balance of the lines it replaces.

Prose or markdown fences around the object are tolerated (the first object is taken); anything else
is rejected with a reason that goes back to the model.
"""

from __future__ import annotations

import json
import re

from hpcagent.records import Edit, LoopTarget, Proposal
from hpcagent.tools.patch import insert_before

LOOP_CONSTRUCTS = ("parallel for", "for", "simd", "parallel loop", "loop", "taskloop", "distribute")
_DIRECTIVE_WORDS = {"omp", "parallel", "for", "simd", "loop", "taskloop", "distribute", "target", "teams"}


class AnswerRejected(ValueError):
    """The model's answer does not follow the format; str(self) is the reason, said to the model."""


def first_json_object(text: str) -> dict:
    """Return the first JSON object in text, skipping any prose or fences around it."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    if "{" in text:
        raise AnswerRejected("the JSON object in your answer is malformed (check quotes, commas and braces)")
    raise AnswerRejected("your answer has no JSON object")


def _int_field(answer: dict, key: str) -> int:
    value = answer.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise AnswerRejected(f'"{key}" must be a line number, got {json.dumps(value)}')
    return int(value)


def pragma_clauses(pragma: str) -> list[str]:
    """Split '#pragma omp parallel for reduction(+:s) private(j)' into ['reduction(+:s)', 'private(j)']."""
    body = pragma.split("omp", 1)[1] if "omp" in pragma else pragma
    clauses = []
    for name, args in re.findall(r"([A-Za-z_]\w*)\s*(\([^()]*\))?", body):
        if args or name not in _DIRECTIVE_WORDS:
            clauses.append(f"{name}{args}")
    return clauses


def check_pragma(pragma: object) -> str:
    """Return the directive normalised to one line, or raise AnswerRejected saying what is wrong."""
    if not isinstance(pragma, str) or not pragma.strip():
        raise AnswerRejected('"pragma" must be a string such as "#pragma omp parallel for"')
    text = " ".join(pragma.split())
    if "\n" in pragma.strip():
        raise AnswerRejected('"pragma" must be a single line')
    if not re.match(r"#\s*pragma\s+omp\s", text + " "):
        raise AnswerRejected(f'"pragma" must start with "#pragma omp", got {json.dumps(pragma)}')
    text = re.sub(r"^#\s*pragma\s+omp", "#pragma omp", text)
    directive = text[len("#pragma omp"):].strip()
    if not any(directive == c or directive.startswith((c + " ", c + "("))
               for c in LOOP_CONSTRUCTS):
        raise AnswerRejected(f"the pragma must name a loop construct such as 'parallel for', got {json.dumps(text)}")
    if text.count("(") != text.count(")"):
        raise AnswerRejected(f"unbalanced parentheses in the pragma {json.dumps(text)}")
    return text


def _braces(text: str) -> int:
    return text.count("{") - text.count("}")


def pragma_proposal(lines: list[str], file: str, line: int, end_line: int, pragma: str, *, source: str,
                    reason: str = "", confidence: float = 0.5) -> Proposal:
    """A proposal inserting `pragma` before `line` (1-based in `lines`), indented like the loop."""
    pragma = pragma.strip()
    edit = insert_before(file, line, pragma, lines)
    return Proposal(file=file, line=line, end_line=end_line, kind="pragma", pragma=pragma,
                    clauses=pragma_clauses(pragma), edits=[edit], confidence=confidence, reason=reason, source=source)


def parse_answer(text: str, target: LoopTarget, span: tuple[int, int], lines: list[str]) -> Proposal:
    """Turn a model's answer into a Proposal for target; span is the enclosing function's first and last line."""
    answer = first_json_object(text)
    action = answer.get("action")
    if action == "pragma":
        line = _int_field(answer, "line")
        if line != target.line:
            raise AnswerRejected(f'"line" must be {target.line}, the first line of the target loop, not {line}')
        pragma = check_pragma(answer.get("pragma"))
        return pragma_proposal(lines, target.file, target.line, target.end_line, pragma, source="llm",
                               reason=str(answer.get("reason", ""))[:200])
    if action == "edit":
        start, end = _int_field(answer, "start_line"), _int_field(answer, "end_line")
        first, last = span
        if start > end:
            raise AnswerRejected(f'"start_line" ({start}) is after "end_line" ({end})')
        if start < first or end > last:
            raise AnswerRejected(f"lines {start}-{end} are outside the function {target.function or ''} "
                                 f"(lines {first}-{last}); edit only inside it".replace("  ", " "))
        if end < target.line or start > target.end_line:
            raise AnswerRejected(f"lines {start}-{end} do not touch the target loop (lines "
                                 f"{target.line}-{target.end_line})")
        new_text = answer.get("new_text")
        if not isinstance(new_text, str) or not new_text.strip():
            raise AnswerRejected('"new_text" must be a non-empty string holding the new lines')
        old_text = "".join(line if line.endswith("\n") else line + "\n" for line in lines[start - 1:end])
        if _braces(new_text) != _braces(old_text):
            raise AnswerRejected(f"new_text changes the brace balance of lines {start}-{end} "
                                 f"({_braces(old_text)} open before, {_braces(new_text)} after)")
        if not re.search(r"[;{}]", new_text):
            raise AnswerRejected('"new_text" must be C code (the lines that replace the old ones)')
        if start <= target.line <= end and not re.search(r"\b(for|while|do)\b", new_text):
            raise AnswerRejected(f"new_text replaces the loop header on line {target.line} but holds no loop")
        if not new_text.endswith("\n"):
            new_text += "\n"
        if new_text == old_text:
            raise AnswerRejected("new_text is identical to the lines it replaces")
        pragmas = [ln.strip() for ln in new_text.splitlines() if ln.strip().startswith("#pragma omp")]
        return Proposal(file=target.file, line=target.line, end_line=target.end_line, kind="rewrite",
                        pragma=pragmas[0] if pragmas else None,
                        clauses=pragma_clauses(pragmas[0]) if pragmas else [],
                        edits=[Edit(file=target.file, start_line=start, end_line=end, new_text=new_text)],
                        source="llm", reason=str(answer.get("reason", ""))[:200])
    raise AnswerRejected(f'unknown "action" {json.dumps(action)}: use "pragma" or "edit"')
