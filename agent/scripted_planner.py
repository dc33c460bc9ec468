"""A planner that replays proposals from a file: for tests, demos and replaying a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hpcagent.agent.errors import ConfigError
from hpcagent.agent.protocols import PlanContext
from hpcagent.agent.records import Attempt, Edit, LoopTarget, Proposal


def pragma_proposal(root: Path, file: str, line: int, pragma: str, end_line: int | None = None,
                    reason: str = "", source: str = "scripted") -> Proposal:
    """A proposal inserting `pragma` before `line`, indented like the loop."""
    text = (Path(root) / file).read_text().splitlines()
    loop = text[line - 1] if 0 < line <= len(text) else ""
    indent = loop[: len(loop) - len(loop.lstrip())]
    clauses = _clauses(pragma)
    return Proposal(file=file, line=line, end_line=end_line or line, kind="pragma", pragma=pragma.strip(),
                    clauses=clauses, edits=[Edit(file, line, line - 1, indent + pragma.strip() + "\n")],
                    confidence=1.0, reason=reason, source=source)


def _clauses(pragma: str) -> list[str]:
    """Split the clauses off '#pragma omp parallel for a(b) c(d)'."""
    out, depth, cur = [], 0, ""
    body = pragma.split("for", 1)[1] if " for" in pragma else ""
    for ch in body:
        depth += ch == "("
        depth -= ch == ")"
        if ch == " " and depth == 0:
            if cur.strip():
                out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


class ScriptedPlanner:
    """Replays, per loop ('file:line', or '*' for any loop), a list of proposals in order.

    File format (JSON): {"file.c:42": [{"pragma": "#pragma omp parallel for"}, {"edits": [...]}], "*": [...]}
    Each entry is either a pragma (inserted before the loop) or a full Proposal dict.
    """

    name = "scripted"

    def __init__(self, script: dict[str, list[dict[str, Any]]] | str | Path):
        if not isinstance(script, dict):
            path = Path(script)
            try:
                script = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise ConfigError(f"cannot read the planner script {path}: {exc}",
                                  'give a JSON file such as {"heat.c:42": [{"pragma": "#pragma omp parallel for"}]}') \
                    from exc
        self.script = script

    def propose(self, target: LoopTarget, context: PlanContext, history: list[Attempt]) -> Proposal | None:
        entries = self.script.get(target.loop_id, self.script.get("*", []))
        if len(history) >= len(entries):
            return None
        entry = entries[len(history)]
        if "pragma" in entry and "edits" not in entry:
            return pragma_proposal(context.root, target.file, target.line, entry["pragma"], target.end_line,
                                   entry.get("reason", "scripted"))
        data = {"file": target.file, "line": target.line, "end_line": target.end_line, "source": "scripted", **entry}
        return Proposal.from_dict(data)
