"""hpcagent.toml as pydantic models: the [model] table, errors that name the key, the template, secrets kept out."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from hpcagent.agent.config import TEMPLATE, Config, ModelCfg, load_config
from hpcagent.errors import ConfigError, SandboxUnavailable


def test_defaults_round_trip_and_a_run_json_without_model_table():
    cfg = Config()
    assert (cfg.model.base_url, cfg.model.api_key_env, cfg.model.timeout, cfg.model.retries) == \
        ("", "OPENAI_API_KEY", 120.0, 4)
    assert (cfg.model.token_budget, cfg.model.temperature, cfg.model.max_new_tokens) == (None, 0.0, None)
    assert Config.from_dict(json.loads(json.dumps(cfg.to_dict())), "run.json") == cfg
    older = cfg.to_dict()
    del older["model"]  # runs started before [model] existed still resume
    assert Config.from_dict(older, "run.json").model == ModelCfg()


@pytest.mark.parametrize("text,words", [
    ('[model]\napi_key = "sk-123"\n', ["unknown key model.api_key", "api_key_env"]),
    ('[model]\ntimeout = "long"\n', ["model.timeout: expected a number, got 'long'", "`timeout = 120.0`"]),
    ('[model]\nretries = 1.5\n', ["model.retries: expected a whole number, got 1.5"]),
    ('[model]\ntoken_budget = 0\n', ["model.token_budget: should be greater than or equal to 1, got 0"]),
    ('[run]\ntimeout = "long"\n', ["hpcagent.toml: run.timeout: expected a number, got 'long'", "under [run]"]),
    ("[threads]\nrace = []\n", ["threads.race: should have at least 1 item, got []", "`race = [2, 3, 4]`"]),
    ('[search]\nunproven = "yes"\n', ["search.unproven: expected true or false, got 'yes'"]),
    ("model = 3\n", ["[model] must be a table"]),
])
def test_bad_keys_are_named_with_what_they_should_be(tmp_path: Path, text: str, words: list[str]):
    (tmp_path / "hpcagent.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    for word in words:
        assert word in str(err.value)


def test_flags_name_the_key_they_got_wrong(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"flag: model\.temperature: expected a number, got .hot."):
        load_config(tmp_path, overrides={"model.temperature": "hot"})
    with pytest.raises(ConfigError, match=r"unknown key modle\.base_url"):
        load_config(tmp_path, overrides={"modle.base_url": "http://x"})


def test_every_field_is_documented():
    for section in Config.model_fields.values():
        for name, field in section.annotation.model_fields.items():
            assert field.description, f"{section.annotation.__name__}.{name} has no docstring"


@pytest.mark.parametrize("makefile", ["", "CFLAGS = -O3 -DN=4096 -DLARGE_DATASET\n"])
def test_template_keys_are_real_keys_with_valid_values_and_model_is_complete(tmp_path: Path, makefile: str):
    from hpcagent.agent.cli.optimize import race_build_hint

    if makefile:
        (tmp_path / "Makefile").write_text(makefile)
    hint = race_build_hint(tmp_path)
    assert ("`-DN=4096` in Makefile, `-DLARGE_DATASET` in Makefile" in hint) == bool(makefile)
    text = TEMPLATE.format(detected="test", build="make", run="./app 1", test="", race_build=hint,
                           found="# Two runs of the original: ...\n#   line 3 `Elapsed`: reads as a timing\n")
    uncommented = "\n".join(line[2:] if re.match(r"# \w+ = ", line) else line for line in text.splitlines())
    cfg = Config.from_dict(tomllib.loads(uncommented), "TEMPLATE")  # an unknown or mistyped key would raise
    assert cfg.build.race_command == "" and cfg.test.auto_ignore is True
    assert cfg.model.base_url.startswith("http://") and cfg.model.token_budget == 200000
    model_keys = re.findall(r"^# (\w+) = ", text.split("\n[model]\n")[1], flags=re.M)
    assert model_keys == list(ModelCfg.model_fields)
    assert Config.from_dict(tomllib.loads(text), "TEMPLATE").model == ModelCfg()  # as written: all defaults


def test_local_planner_answers_stay_short_unless_max_new_tokens_is_set(tmp_path: Path):
    from hpcagent.agent.backends import make_critic, make_planner
    from hpcagent.agent.run.transcript import Transcript

    transcript = Transcript(tmp_path / "t.jsonl")
    base = {"agent": {"model": f"transformers:{tmp_path / 'none'}"}, "model": {"temperature": 0.5}}
    planner = make_planner("llm", Config.from_dict(base), transcript)
    assert planner.max_tokens == 96 and planner.model.model.config == \
        {"temperature": 0.5, "max_new_tokens": 96, "stop_strings": ["}"]}
    longer = Config.from_dict(base).override({"model.max_new_tokens": 200})
    planner, critic = make_planner("llm", longer, transcript), make_critic("llm", longer, transcript)
    assert planner.max_tokens == 200 and planner.model.model.config["max_new_tokens"] == 200
    assert critic.max_tokens == 200 and critic.model.model.config == {"temperature": 0.5, "max_new_tokens": 200}


class NoSandbox:
    """Refuses all work: the run stops right after writing run.json, the transcript and the checkpoint."""

    name = "none"

    def run(self, work, steps):
        raise SandboxUnavailable("no sandbox in this test")


def test_the_api_key_itself_is_never_written(tmp_path: Path, monkeypatch):
    from hpcagent.agent.run import runner

    secret = "sk-do-not-write-7f3a9c"
    monkeypatch.setenv("MY_KEY", secret)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.c").write_text("int main(void) { return 0; }\n")
    (repo / "Makefile").write_text("app: app.c\n\t$(CC) $(CFLAGS) -o app app.c\n")
    (repo / "hpcagent.toml").write_text(
        '[run]\ncommand = "./app"\n[agent]\nplanner = "llm"\ncritic = "llm"\nmodel = "openai:m"\n'
        '[model]\nbase_url = "http://127.0.0.1:9/v1"\napi_key_env = "MY_KEY"\n')
    cfg, origin = load_config(repo)
    assert secret not in json.dumps(cfg.to_dict())
    with pytest.raises(SandboxUnavailable):
        runner.start(repo, cfg, origin, tmp_path / "runs", "r", sandbox=NoSandbox())
    run_dir = tmp_path / "runs" / "r"
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["config"]["model"]["api_key_env"] == "MY_KEY"
    events = (run_dir / "transcript.jsonl").read_text()
    assert '"planner": "llm"' in events and "no sandbox in this test" in events  # the model was built, then stopped
    written = [p for p in run_dir.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"run.json", "transcript.jsonl", "checkpoint.sqlite"}
    assert not [p for p in written if secret.encode() in p.read_bytes()]
