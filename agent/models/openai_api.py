"""A model behind an OpenAI-compatible HTTP server (OpenAI, vLLM, llama.cpp server, Ollama...)."""

from __future__ import annotations

import os
import time

from hpcagent.agent.config import ModelCfg
from hpcagent.agent.protocols import Completion
from hpcagent.errors import BudgetExceeded, ConfigError, ModelError, ModelTimeout

# The [model] keys (base_url, api_key_env, timeout, retries, token_budget, temperature, max_new_tokens) default as
# in hpcagent.toml; the waits between retries are this backend's own.
DEFAULTS = {
    **ModelCfg().model_dump(),
    "backoff": 1.0,  # first wait before a retry, doubled on each further retry
    "max_backoff": 30.0,
}


class OpenAIModel:
    """Chat completions over HTTP with timeouts, exponential backoff and a per-run token budget.

    The server address is [model] base_url, else the OPENAI_BASE_URL variable; the key is read from the variable
    that [model] api_key_env names, at construction, and kept only in the client."""

    def __init__(self, model: str, config: dict | None = None):
        import openai

        self._openai = openai
        self.config = {**DEFAULTS, **(config or {})}
        self.model = model
        self.name = f"openai:{model}"
        base_url = self.config.get("base_url") or os.environ.get("OPENAI_BASE_URL")
        if not base_url:
            raise ConfigError(f"model {self.name} needs a server address",
                              "set base_url under [model] in hpcagent.toml, pass --set model.base_url=URL, or set "
                              "the OPENAI_BASE_URL variable; e.g. http://127.0.0.1:8000/v1")
        self.key_env = self.config["api_key_env"]
        api_key = os.environ.get(self.key_env, "")
        self.key_missing = not api_key
        # Local servers often need no key, but the client insists on one: a placeholder does.
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key or "no-key",
                                    timeout=float(self.config["timeout"]), max_retries=0)
        self.tokens_used = 0

    def _budget_left(self) -> int | None:
        budget = self.config["token_budget"]
        return None if budget is None else int(budget) - self.tokens_used

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 512) -> Completion:
        left = self._budget_left()
        if left is not None and left <= 0:
            raise BudgetExceeded(f"model {self.name} used its token budget ({self.tokens_used} tokens)",
                                 "raise token_budget under [model] in hpcagent.toml "
                                 "(or --set model.token_budget=TOKENS)")
        start = time.monotonic()
        response = self._with_retries(messages, max_tokens)
        usage = response.usage
        tokens_in = usage.prompt_tokens if usage else 0
        tokens_out = usage.completion_tokens if usage else 0
        self.tokens_used += tokens_in + tokens_out
        text = (response.choices[0].message.content or "") if response.choices else ""
        return Completion(text=text, tokens_in=tokens_in, tokens_out=tokens_out,
                          seconds=time.monotonic() - start, backend=self.name)

    def _with_retries(self, messages: list[dict[str, str]], max_tokens: int):
        openai = self._openai
        retries = int(self.config["retries"])
        cap = self.config["max_new_tokens"]
        max_tokens = min(max_tokens, int(cap)) if cap else max_tokens
        last: Exception | None = None
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(min(float(self.config["backoff"]) * 2 ** (attempt - 1),
                               float(self.config["max_backoff"])))
            try:
                return self.client.chat.completions.create(
                    model=self.model, messages=messages, max_tokens=max_tokens,
                    temperature=float(self.config["temperature"]),
                    top_p=float(self.config.get("top_p", 1.0)))
            except openai.APITimeoutError as exc:  # subclass of APIConnectionError: test it first
                last = exc
            except openai.APIConnectionError as exc:
                last = exc
            except openai.APIStatusError as exc:
                if exc.status_code != 429 and exc.status_code < 500:
                    raise ModelError(f"model server refused the request for {self.name}: "
                                     f"HTTP {exc.status_code} {exc.message}",
                                     f"check the model name, the base URL and the key (read from the "
                                     f"{self.key_env} variable{', which is not set' if self.key_missing else ''}; "
                                     f"[model] api_key_env names another)") from exc
                last = exc
        where = self.client.base_url
        if isinstance(last, openai.APITimeoutError):
            raise ModelTimeout(f"model {self.name} at {where} timed out {retries + 1} times "
                               f"(timeout {self.config['timeout']} s)",
                               "raise timeout under [model] in hpcagent.toml (or --set model.timeout=SECONDS), "
                               "or use a faster server") from last
        detail = f"HTTP {last.status_code}" if isinstance(last, openai.APIStatusError) else str(last)
        raise ModelError(f"model {self.name} at {where} kept failing after {retries + 1} tries ({detail})",
                         "check that the server is up and not overloaded") from last
