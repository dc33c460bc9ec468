"""A planner that replays proposals from a file: for tests, demos and replaying a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hpcagent.agent.planners.answer import pragma_proposal
from hpcagent.agent.protocols import PlanContext
from hpcagent.errors import ConfigError
from hpcagent.records import Attempt, LoopTarget, Proposal


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
            lines = (context.root / target.file).read_text().splitlines()
            return pragma_proposal(lines, target.file, target.line, target.end_line, entry["pragma"],
                                   source="scripted", reason=entry.get("reason", "scripted"), confidence=1.0)
        data = {"file": target.file, "line": target.line, "end_line": target.end_line, "source": "scripted", **entry}
        return Proposal.from_dict(data)
