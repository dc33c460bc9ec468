"""A model behind an OpenAI-compatible HTTP server (OpenAI, vLLM, llama.cpp server, Ollama...)."""

from __future__ import annotations

import os
import time

from hpcagent.agent.protocols import Completion
from hpcagent.errors import BudgetExceeded, ConfigError, ModelError, ModelTimeout

DEFAULTS = {
    "timeout": 120.0,  # seconds for one HTTP request
    "max_retries": 4,  # retries after a 429, a 5xx, a timeout or a refused connection
    "backoff": 1.0,  # first wait before a retry, doubled on each further retry
    "max_backoff": 30.0,
    "token_budget": None,  # tokens (in + out) this model may spend in the run; None for no limit
}


class OpenAIModel:
    """Chat completions over HTTP with timeouts, exponential backoff and a per-run token budget."""

    def __init__(self, model: str, config: dict | None = None):
        import openai

        self._openai = openai
        self.config = {**DEFAULTS, **(config or {})}
        self.model = model
        self.name = f"openai:{model}"
        base_url = self.config.get("base_url") or os.environ.get("OPENAI_BASE_URL")
        if not base_url:
            raise ConfigError(f"model {self.name} needs a server address",
                              "set [model] base_url in hpcagent.toml or OPENAI_BASE_URL, "
                              "e.g. http://127.0.0.1:8000/v1")
        key_env = self.config.get("api_key_env", "OPENAI_API_KEY")
        # Local servers often need no key, but the client insists on one: a placeholder does.
        api_key = os.environ.get(key_env) or "no-key"
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key,
                                    timeout=float(self.config["timeout"]), max_retries=0)
        self.tokens_used = 0

    def _budget_left(self) -> int | None:
        budget = self.config.get("token_budget")
        return None if budget is None else int(budget) - self.tokens_used

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 512) -> Completion:
        left = self._budget_left()
        if left is not None and left <= 0:
            raise BudgetExceeded(f"model {self.name} used its token budget ({self.tokens_used} tokens)",
                                 "raise [model] token_budget in hpcagent.toml")
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
        retries = int(self.config["max_retries"])
        last: Exception | None = None
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(min(float(self.config["backoff"]) * 2 ** (attempt - 1),
                               float(self.config["max_backoff"])))
            try:
                return self.client.chat.completions.create(
                    model=self.model, messages=messages, max_tokens=max_tokens,
                    temperature=float(self.config.get("temperature", 0.0)),
                    top_p=float(self.config.get("top_p", 1.0)))
            except openai.APITimeoutError as exc:  # subclass of APIConnectionError: test it first
                last = exc
            except openai.APIConnectionError as exc:
                last = exc
            except openai.APIStatusError as exc:
                if exc.status_code != 429 and exc.status_code < 500:
                    raise ModelError(f"model server refused the request for {self.name}: "
                                     f"HTTP {exc.status_code} {exc.message}",
                                     "check the model name, the key and the base URL") from exc
                last = exc
        where = self.client.base_url
        if isinstance(last, openai.APITimeoutError):
            raise ModelTimeout(f"model {self.name} at {where} timed out {retries + 1} times "
                               f"(timeout {self.config['timeout']} s)",
                               "raise [model] timeout, or use a faster server") from last
        detail = f"HTTP {last.status_code}" if isinstance(last, openai.APIStatusError) else str(last)
        raise ModelError(f"model {self.name} at {where} kept failing after {retries + 1} tries ({detail})",
                         "check that the server is up and not overloaded") from last
