"""The openai backend against a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hpcagent.agent.config import load_config
from hpcagent.agent.models.openai_api import OpenAIModel
from hpcagent.agent.models.registry import load_model
from hpcagent.agent.planners.llm import LLMPlanner
from hpcagent.agent.protocols import PlanContext
from hpcagent.errors import BudgetExceeded, ConfigError, ModelError, ModelTimeout
from hpcagent.records import LoopTarget, Proposal

HELLO = [{"role": "user", "content": "hello"}]
FAST = {"timeout": 2.0, "retries": 2, "backoff": 0.01, "max_backoff": 0.05}


class ChatServer(ThreadingHTTPServer):
    """Serves /v1/chat/completions from a queue of planned replies: ('ok', text), ('status', code), ('sleep', s)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.plan: list[tuple[str, object]] = []
        self.requests: list[dict] = []

    def handle_error(self, request, client_address):
        # A client that timed out has hung up: the broken pipe on our late reply is the expected outcome.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class ChatHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_POST(self):
        server: ChatServer = self.server  # type: ignore[assignment]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        kind, value = server.plan.pop(0) if server.plan else ("status", 500)
        if kind == "sleep":
            time.sleep(float(value))
            kind, value = "ok", "too late"
        if kind == "status":
            self._send(int(value), {"error": {"message": f"planned {value}", "type": "test"}})
            return
        self._send(200, {
            "id": "cmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": value}}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15},
        })

    def _send(self, code: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server():
    srv = ChatServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def model_for(server: ChatServer, **config) -> OpenAIModel:
    return load_model("openai:tiny-coder", base_url=server.base_url, **{**FAST, **config})


def test_answer_tokens_and_key_from_the_named_variable(server, monkeypatch):
    monkeypatch.setenv("MY_KEY", "sekret")
    server.plan = [("ok", "hi there")]
    completion = model_for(server, api_key_env="MY_KEY").complete(HELLO, max_tokens=33)
    assert (completion.text, completion.tokens_in, completion.tokens_out) == ("hi there", 11, 4)
    assert completion.backend == "openai:tiny-coder"
    (request,) = server.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sekret"
    assert (request["model"], request["messages"], request["max_tokens"]) == ("tiny-coder", HELLO, 33)
    assert request["temperature"] == 0.0  # greedy by default: reruns ask the same question


def test_base_url_from_environment_and_placeholder_key(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.plan = [("ok", "fine")]
    assert OpenAIModel("m", FAST).complete(HELLO).text == "fine"
    assert server.requests[0]["auth"] == "Bearer no-key"


def test_missing_base_url_is_a_config_error(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="needs a server address"):
        OpenAIModel("m", {})


@pytest.mark.parametrize("status", [500, 503, 429])
def test_retries_after_server_errors_and_rate_limits(server, status):
    server.plan = [("status", status), ("status", status), ("ok", "third time")]
    assert model_for(server).complete(HELLO).text == "third time"
    assert len(server.requests) == 3


def test_gives_up_after_the_retries_with_a_clear_error(server):
    server.plan = [("status", 500)] * 3
    with pytest.raises(ModelError, match=r"kept failing after 3 tries \(HTTP 500\)"):
        model_for(server).complete(HELLO)
    assert len(server.requests) == 3


def test_client_errors_are_not_retried(server):
    server.plan = [("status", 404), ("ok", "never")]
    with pytest.raises(ModelError, match="HTTP 404") as caught:
        model_for(server).complete(HELLO)
    assert len(server.requests) == 1 and "model name" in caught.value.fix


def test_timeout_raises_model_timeout_after_retries(server):
    server.plan = [("sleep", 0.6), ("sleep", 0.6)]
    start = time.monotonic()
    with pytest.raises(ModelTimeout, match="timed out 2 times"):
        model_for(server, timeout=0.2, retries=1).complete(HELLO)
    assert time.monotonic() - start < 1.5 and len(server.requests) == 2


def test_token_budget_stops_the_run(server):
    server.plan = [("ok", "a"), ("ok", "b"), ("ok", "c")]
    model = model_for(server, token_budget=20)
    assert model.complete(HELLO).text == "a"  # 15 tokens used, 5 left
    assert model.complete(HELLO).text == "b"  # the call that crosses the budget still answers
    with pytest.raises(BudgetExceeded, match="30 tokens"):
        model.complete(HELLO)
    assert len(server.requests) == 2


class FixedPlanner:
    name = "analysis"

    def propose(self, target, context, history):
        return Proposal(file=target.file, line=target.line, end_line=target.end_line,
                        pragma="#pragma omp parallel for", source="analysis")


def test_planner_falls_back_when_the_server_times_out(server, tmp_path: Path):
    (tmp_path / "k.c").write_text("void f(int n, double *a) {\n    for (int i = 0; i < n; i++)\n"
                                  "        a[i] = 2 * a[i];\n}\n")
    server.plan = [("sleep", 0.5)] * 2
    planner = LLMPlanner(model_for(server, timeout=0.2, retries=0), fallback=FixedPlanner(), max_attempts=2)
    target = LoopTarget(file="k.c", line=2, end_line=3, function="f")
    proposal = planner.propose(target, PlanContext(root=tmp_path), [])
    assert proposal is not None and proposal.source == "analysis"
    kinds = [e["kind"] for e in planner.transcript.events]
    assert kinds == ["model_call", "llm_rejected", "model_call", "llm_rejected", "fallback"]
    assert all("timed out" in reason for reason in planner.transcript.events[-1]["reasons"])
    assert planner.usage.failures == 2


# --- [model] settings from hpcagent.toml and --set, through load_model and the planner/critic table --------------


def test_model_table_of_hpcagent_toml_reaches_the_server(server, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("MY_KEY", "sekret")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # a fallback only: the file wins
    (tmp_path / "hpcagent.toml").write_text(
        f'[agent]\nmodel = "openai:tiny-coder"\n'
        f'[model]\nbase_url = "{server.base_url}"\napi_key_env = "MY_KEY"\ntimeout = 0.3\nretries = 0\n'
        f'temperature = 0.25\nmax_new_tokens = 21\n')
    cfg, _ = load_config(tmp_path)
    model = load_model(cfg.agent.model, cfg.model)
    server.plan = [("ok", "hi"), ("sleep", 1.0)]
    assert model.complete(HELLO).text == "hi"
    (request,) = server.requests
    assert request["auth"] == "Bearer sekret" and request["model"] == "tiny-coder"
    assert (request["temperature"], request["max_tokens"]) == (0.25, 21)  # max_new_tokens caps the asked 512
    start = time.monotonic()
    with pytest.raises(ModelTimeout, match=r"timed out 1 times \(timeout 0.3 s\)") as caught:
        model.complete(HELLO)
    assert time.monotonic() - start < 0.9 and len(server.requests) == 2  # no retry: retries = 0
    assert "--set model.timeout" in caught.value.fix


def test_set_flags_override_the_file_and_reach_the_server(server, monkeypatch, tmp_path: Path):
    from hpcagent.agent.cli.optimize import parse_sets

    monkeypatch.setenv("OTHER_KEY", "other-sekret")
    (tmp_path / "hpcagent.toml").write_text('[model]\nbase_url = "http://127.0.0.1:9/v1"\ntemperature = 0.9\n')
    sets = parse_sets(["agent.model=openai:tiny-coder", f"model.base_url={server.base_url}", "model.retries=1",
                       "model.temperature=0.5", "model.max_new_tokens=7", "model.api_key_env=OTHER_KEY",
                       "model.token_budget=15"])
    cfg, _ = load_config(tmp_path, overrides=sets)
    model = load_model(cfg.agent.model, cfg.model)
    server.plan = [("status", 503), ("ok", "second try")]
    assert model.complete(HELLO, max_tokens=300).text == "second try"  # one retry allowed, one used
    assert [r["auth"] for r in server.requests] == ["Bearer other-sekret"] * 2
    assert {(r["temperature"], r["max_tokens"]) for r in server.requests} == {(0.5, 7)}
    with pytest.raises(BudgetExceeded, match="15 tokens") as caught:  # 15 of 15 spent by the first answer
        model.complete(HELLO)
    assert "--set model.token_budget" in caught.value.fix and len(server.requests) == 2


def test_cli_set_reaches_the_planner_and_critic_models(server, monkeypatch, tmp_path: Path):
    from typer.testing import CliRunner

    from hpcagent.agent.backends import make_critic, make_planner
    from hpcagent.agent.cli.main import app
    from hpcagent.agent.run import runner
    from hpcagent.agent.run.transcript import Transcript

    started = []

    def start(repo, cfg, origin, out, run_id=None, echo=None, sandbox=None):
        started.append(cfg)  # the side-effect boundary: the config the run would be given
        raise ConfigError("stop before the sandbox")

    monkeypatch.setattr(runner, "start", start)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    (tmp_path / "app.c").write_text("int main(void) { return 0; }\n")
    result = CliRunner().invoke(app, [
        "optimize", str(tmp_path), "--build", "make", "--run", "./app", "--planner", "llm", "--critic", "llm",
        "--model", "openai:tiny-coder", "--set", f"model.base_url={server.base_url}",
        "--set", "model.max_new_tokens=42", "--set", "model.temperature=0.125"])
    assert result.exit_code == 2 and "stop before the sandbox" in result.output
    (cfg,) = started
    transcript = Transcript(tmp_path / "t.jsonl")
    planner, critic = make_planner("llm", cfg, transcript), make_critic("llm", cfg, transcript)
    server.plan = [("ok", "plan"), ("ok", "critique")]
    planner.model.complete(HELLO, max_tokens=planner.max_tokens)
    critic.model.complete(HELLO, max_tokens=critic.max_tokens)
    assert [(r["max_tokens"], r["temperature"]) for r in server.requests] == [(42, 0.125), (42, 0.125)]
