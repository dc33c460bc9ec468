"""The run's transcript: every step, its inputs and outputs, one JSON object a line, flushed as written."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TRANSCRIPT_VERSION = 1


class Transcript:
    """Append-only JSONL log. Each event: {"v", "seq", "ts", "kind", ...data}."""

    def __init__(self, path: Path | None = None, echo: Callable[[dict], None] | None = None):
        self.path = Path(path) if path else None
        self.echo = echo
        self.events: list[dict[str, Any]] = []
        self.seq = 0
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
        """Record one event and write it out at once (a crash loses nothing already said)."""
        self.seq += 1
        entry = {"v": TRANSCRIPT_VERSION, "seq": self.seq, "ts": round(time.time(), 3), "kind": kind, **data}
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
