"""A model that replays recorded answers in order: for tests, demos and `--model scripted:FILE`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hpcagent.agent.protocols import Completion
from hpcagent.errors import ConfigError, ModelError, ModelTimeout


class ScriptedModel:
    """Replay answers one per call. An entry is a string, {"text": ...}, {"timeout": true} or {"error": msg}."""

    name = "scripted"

    def __init__(self, responses: list[Any], name: str = "scripted"):
        self.responses = list(responses)
        self.name = name
        self.calls: list[list[dict[str, str]]] = []
        """The messages of every call, in order (tests read the prompts back from here)."""

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedModel:
        """Read a JSON list, or JSONL with one entry a line."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"scripted model file {path} does not exist", "give a .json or .jsonl file of answers")
        text = path.read_text()
        try:
            if path.suffix == ".jsonl":
                entries = [json.loads(line) for line in text.splitlines() if line.strip()]
            else:
                entries = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"scripted model file {path} is not valid JSON: {exc}",
                              "write a JSON list of answers, or one JSON value a line in a .jsonl file") from exc
        if not isinstance(entries, list):
            raise ConfigError(f"scripted model file {path} must hold a list of answers")
        return cls(entries, name=f"scripted:{path.name}")

    @property
    def remaining(self) -> int:
        return len(self.responses) - len(self.calls)

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 512) -> Completion:
        index = len(self.calls)
        self.calls.append(messages)
        if index >= len(self.responses):
            raise ModelError(f"scripted model {self.name} has no answers left (all {len(self.responses)} used)",
                             "add answers to the script, or lower the number of attempts")
        entry = self.responses[index]
        if isinstance(entry, dict):
            if entry.get("timeout"):
                raise ModelTimeout(f"scripted model {self.name}: call {index + 1} timed out (scripted)")
            if "error" in entry:
                raise ModelError(f"scripted model {self.name}: {entry['error']}")
            entry = entry.get("text", "")
        text = str(entry)
        # Word counts stand in for tokens so that accounting shows something proportional.
        tokens_in = sum(len(m.get("content", "").split()) for m in messages)
        return Completion(text=text, tokens_in=tokens_in, tokens_out=len(text.split()), backend="scripted")
