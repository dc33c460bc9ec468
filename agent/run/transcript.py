"""The run's transcript: every step, its inputs and outputs, one JSON object a line, flushed as written."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TRANSCRIPT_VERSION = 1
SCHEMA = Path(__file__).with_name("transcript.schema.json")
"""The format of an event, as JSON Schema (versioned by TRANSCRIPT_VERSION)."""
SECRET_NAMES = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.I)
SECRET_SHAPES = re.compile(r"\b(?:sk-[A-Za-z0-9_-]{16,}|hf_[A-Za-z0-9]{20,}|gh[pousr]_[A-Za-z0-9]{20,}"
                           r"|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})\b|(?<=Bearer )[A-Za-z0-9._~+/-]{12,}")
REDACTED = "[redacted]"


def secrets_in_environment() -> list[str]:
    """Values of environment variables named like secrets (OPENAI_API_KEY, HF_TOKEN, ...), longest first."""
    values = {v for k, v in os.environ.items() if SECRET_NAMES.search(k) and len(v) >= 8}
    return sorted(values, key=len, reverse=True)


def redact(value: Any, secrets: list[str]) -> Any:
    """value with every secret (an environment secret's value, or a string shaped like an API key) replaced."""
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return SECRET_SHAPES.sub(REDACTED, value)
    if isinstance(value, dict):
        return {k: redact(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets) for v in value]
    return value


class Transcript:
    """Append-only JSONL log. Each event: {"v", "seq", "ts", "kind", ...data}."""

    def __init__(self, path: Path | None = None, echo: Callable[[dict], None] | None = None):
        self.path = Path(path) if path else None
        self.echo = echo
        self.events: list[dict[str, Any]] = []
        self.seq = 0
        self.secrets = secrets_in_environment()
        if self.path and self.path.exists():
            text = self.path.read_text()
            if text and not text.endswith("\n"):
                # A kill mid-write left a torn line: end it so the next event starts on a line of its own.
                with open(self.path, "a") as fh:
                    fh.write("\n")
            # Resuming: continue the numbering after what is already on disk.
            for line in text.splitlines():
                try:
                    self.seq = max(self.seq, json.loads(line).get("seq", 0))
                except json.JSONDecodeError:
                    continue

    def event(self, kind: str, **data: Any) -> dict[str, Any]:
        """Record one event and write it out at once (a crash loses nothing already said); secrets redacted."""
        self.seq += 1
        entry = {"v": TRANSCRIPT_VERSION, "seq": self.seq, "ts": round(time.time(), 3), "kind": kind,
                 **redact(json.loads(json.dumps(data, default=str)), self.secrets)}
        self.events.append(entry)
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a") as fh:
                fh.write(json.dumps(entry, default=str) + "\n")
        if self.echo:
            self.echo(entry)
        return entry


def read_transcript(path: Path) -> list[dict[str, Any]]:
    """Read a transcript back, skipping a torn last line (a kill mid-write)."""
    events = []
    for line in Path(path).read_text().splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events
