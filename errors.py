"""The exceptions that carry control flow; each says what was wrong and what to do."""

from __future__ import annotations


class HpcAgentError(Exception):
    """Base: a problem the user can act on; `fix` says how."""

    exit_code = 2

    def __init__(self, message: str, fix: str = ""):
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


class SandboxUnavailable(HpcAgentError):
    """No engine, no image, or a toolchain missing inside it."""


class BadInput(HpcAgentError):
    """The path, config or commands given cannot be used (checked before any agent work)."""


class ConfigError(BadInput):
    """A malformed hpcagent.toml or flag; the message names the key."""


class BuildFailed(HpcAgentError):
    """The code did not compile; carries the parsed diagnostics."""

    def __init__(self, message: str, fix: str = "", diagnostics=None, log: str = ""):
        super().__init__(message, fix)
        self.diagnostics = diagnostics or []
        self.log = log


class BudgetExceeded(HpcAgentError):
    """The per-loop attempt budget or the run's wall-clock budget ran out."""


class ModelError(HpcAgentError):
    """A language model backend failed (missing weights, timeouts, a server that keeps failing)."""


class ModelTimeout(ModelError):
    """A model call took longer than its timeout (the planner counts it as one failed attempt)."""
