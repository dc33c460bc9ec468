"""Pick a model backend from a spec string, and account for every call it makes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from hpcagent.agent.config import ModelCfg
from hpcagent.agent.protocols import Completion, Model
from hpcagent.agent.run.transcript import Transcript
from hpcagent.errors import ConfigError, HpcAgentError


def _transformers(arg: str, config: dict) -> Model:
    from hpcagent.agent.models.huggingface import TransformersModel

    if not arg:
        raise ConfigError("model spec 'transformers:' needs a path", "use --model transformers:/path/to/model-dir")
    return TransformersModel(arg, config)


def _smollm2(arg: str, config: dict) -> Model:
    from hpcagent.agent.models.huggingface import smollm2

    return smollm2(config)


def _openai(arg: str, config: dict) -> Model:
    from hpcagent.agent.models.openai_api import OpenAIModel

    if not arg:
        raise ConfigError("model spec 'openai:' needs a model name", "use --model openai:MODEL_NAME")
    return OpenAIModel(arg, config)


def _scripted(arg: str, config: dict) -> Model:
    from hpcagent.agent.models.scripted import ScriptedModel

    if not arg:
        raise ConfigError("model spec 'scripted:' needs a file", "use --model scripted:answers.jsonl")
    return ScriptedModel.from_file(arg)


# The whole backend registry: spec prefix -> factory(argument, options). Imports stay lazy so that
# choosing the scripted model never pays for importing torch.
BACKENDS: dict[str, Callable[[str, dict], Model]] = {
    "transformers": _transformers,
    "smollm2": _smollm2,
    "openai": _openai,
    "scripted": _scripted,
}

# The [model] keys each backend uses (a local model has no server, timeout or bill; a script has nothing to tune).
LOCAL = ("temperature", "max_new_tokens")
APPLIES: dict[str, tuple[str, ...]] = {
    "transformers": LOCAL,
    "smollm2": LOCAL,
    "openai": ("base_url", "api_key_env", "timeout", "retries", "token_budget", "temperature", "max_new_tokens"),
    "scripted": (),
}


def load_model(spec: str, settings: ModelCfg | None = None, **options: Any) -> Model:
    """Build the model a spec names ('transformers:PATH', 'smollm2', 'openai:MODEL' or 'scripted:FILE') with the
    [model] settings its backend uses; `options` are backend options (stop_strings, backoff...) and win."""
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower()
    factory = BACKENDS.get(kind)
    if factory is None:
        raise ConfigError(f"unknown model backend {kind!r} in {spec!r}",
                          f"use one of: {', '.join(sorted(BACKENDS))} (e.g. smollm2 or openai:MODEL)")
    settings = settings or ModelCfg()
    config = {key: value for key in APPLIES[kind] if (value := getattr(settings, key)) is not None}
    return factory(arg.strip(), {**config, **options})


@dataclass
class ModelUsage:
    """Totals over a run's model calls, for the report."""

    calls: int = 0
    failures: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0

    def add(self, completion: Completion | None, seconds: float) -> None:
        self.calls += 1
        self.seconds += seconds
        if completion is None:
            self.failures += 1
            return
        self.tokens_in += completion.tokens_in
        self.tokens_out += completion.tokens_out

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seconds": round(self.seconds, 3)}

    def summary(self) -> str:
        return (f"{self.calls} model calls ({self.failures} failed), {self.tokens_in} tokens in, "
                f"{self.tokens_out} out, {self.seconds:.1f} s")


class AccountedModel:
    """Wrap a model so that every call, answer or failure, becomes a 'model_call' event and adds to the usage."""

    def __init__(self, model: Model, transcript: Transcript | None = None, usage: ModelUsage | None = None):
        self.model = model
        self.transcript = transcript
        self.usage = usage or ModelUsage()
        self.name = getattr(model, "name", type(model).__name__)

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 512) -> Completion:
        start = time.monotonic()
        try:
            completion = self.model.complete(messages, max_tokens=max_tokens)
        except HpcAgentError as exc:  # model errors and budget stops alike are worth a line
            seconds = time.monotonic() - start
            self.usage.add(None, seconds)
            self._record(messages, seconds=seconds, error=f"{type(exc).__name__}: {exc.message}")
            raise
        seconds = time.monotonic() - start
        self.usage.add(completion, seconds)
        self._record(messages, seconds=seconds, response=completion.text, tokens_in=completion.tokens_in,
                     tokens_out=completion.tokens_out, backend=completion.backend)
        return completion

    def _record(self, messages: list[dict[str, str]], seconds: float, **data: Any) -> None:
        if self.transcript is not None:
            self.transcript.event("model_call", model=self.name, messages=messages,
                                  latency=round(seconds, 3), **data)
