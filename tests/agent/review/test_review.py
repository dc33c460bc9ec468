"""Reviewing a run: `hpcagent runs`, the steps and their evidence, the terminal UI (textual's Pilot), the HTML page
(checked in a real headless Chromium), replay, and the transcript's schema. The run is recorded with the fake lab
and a scripted planner: one loop gets a racy change, a change that does not build and a fast one; another loop a
change within the noise."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from conftest import DATA, REPO
from typer.testing import CliRunner

from hpcagent.agent.cli.main import app

runner = CliRunner()
SHOTS = os.environ.get("HPCAGENT_DOC_SHOTS")
"""When set (a folder), the screenshots the tests take are copied there (the README's images)."""

PLAN = {"app.c:8": [{"pragma": "#pragma omp parallel for shared(y)", "reason": "the map, first try"},
                    {"pragma": "#pragma omp parallel for schedule(dynamic)", "reason": "another schedule"},
                    {"pragma": "#pragma omp parallel for schedule(static)", "reason": "static chunks"}],
        "app.c:19": [{"pragma": "#pragma omp parallel for reduction(+:s)", "reason": "a sum"}]}
OUTCOMES = [{"match": "shared(y)", "stage": "race", "variable": "v"},
            {"match": "schedule(dynamic)", "stage": "build"},
            {"match": "schedule(static)", "stage": "passed", "speedup": 1.8},
            {"match": "reduction(+:s)", "stage": "timing", "speedup": 1.0}]


def record(tmp_path: Path, run_id: str = "night") -> Path:
    repo = tmp_path / "mini"
    shutil.copytree(DATA / "projects" / "mini", repo)
    (tmp_path / "plan.json").write_text(json.dumps(PLAN))
    (tmp_path / "lab.json").write_text(json.dumps({"outcomes": OUTCOMES}))
    out = tmp_path / "runs"
    result = runner.invoke(app, ["optimize", str(repo), "--out", str(out), "--run-id", run_id, "--quiet",
                                 "--planner", f"scripted:{tmp_path / 'plan.json'}",
                                 "--sandbox", f"fake:{tmp_path / 'lab.json'}", "--attempts", "3",
                                 "--set", "budget.explore=0"])
    assert result.exit_code == 0, result.output
    return out / run_id


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    return record(tmp_path_factory.mktemp("review"))


def events(run_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (run_dir / "transcript.jsonl").read_text().splitlines()]


def test_runs_lists_each_run_with_its_status(night: Path, tmp_path: Path):
    out = tmp_path / "runs"
    shutil.copytree(night, out / "night")
    stopped = out / "stopped"
    shutil.copytree(night, stopped)
    lines = (stopped / "transcript.jsonl").read_text().splitlines()
    cut = next(i for i, x in enumerate(lines) if json.loads(x)["kind"] == "check")
    (stopped / "transcript.jsonl").write_text("\n".join(lines[:cut]) + "\n")  # killed mid-run: no report
    (stopped / "summary.json").unlink()
    failed = out / "failed"
    shutil.copytree(stopped, failed)
    with open(failed / "transcript.jsonl", "a") as fh:
        fh.write(json.dumps({"v": 1, "seq": 999, "ts": json.loads(lines[cut - 1])["ts"] + 1.0, "kind": "error",
                             "error": "the project does not build"})
                 + "\n")
    result = runner.invoke(app, ["runs", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.output)}
    summary = json.loads((night / "summary.json").read_text())
    assert rows["night"]["status"] == "done" and rows["night"]["accepted"] == 1
    assert rows["night"]["tried"] == summary["tried"] == len(summary["loops"]) >= 2
    assert rows["night"]["best_speedup"] > 1.5 and rows["night"]["seconds"] >= 0
    assert rows["stopped"]["status"] == "stopped" and "hpcagent resume stopped" in rows["stopped"]["reason"]
    assert rows["failed"]["status"] == "failed" and rows["failed"]["reason"] == "the project does not build"
    assert all(r["seconds"] >= 0 for r in rows.values())
    table = runner.invoke(app, ["runs", "--out", str(out)]).output
    if SHOTS:
        (Path(SHOTS) / "runs.txt").write_text(table.replace(str(night.parent.parent), "~"))
    assert re.search(rf"night\s+done\s+\S+ \S+\s+[\d.]+ min\s+{summary['tried']}\s+1\s+1\.\d\dx", table), table
    # a run in progress holds its lock
    from hpcagent.agent.review.runs import info
    from hpcagent.agent.run.runner import hold_lock

    lock = hold_lock(stopped)
    try:
        assert info(stopped).status == "running"
    finally:
        lock.close()
    assert info(stopped).status == "stopped"


def test_steps_carry_the_evidence_of_each_attempt(night: Path):
    from hpcagent.agent.review.steps import RunView

    view = RunView(night)
    checks = [s for s in view.steps if s.kind == "check" and s.loop == "app.c:8"]
    assert [s.outcome for s in checks] == ["failed", "failed", "accepted"]
    race = next(sec for sec in checks[0].sections if sec.kind == "race")
    first = race.body["first"]
    # both accesses in their source context, in the candidate's lines: the pragma the change added is there
    assert first["file"] == "app.c" and any("shared(y)" in x for x in first["lines"])
    assert "for (int i = 0; i < n; i++)" in first["lines"][first["line"] - first["start"]]
    build = next(sec for sec in checks[1].sections if sec.title.startswith("compiler"))
    assert "error: scripted build error" in build.body
    timing = next(sec for sec in checks[2].sections if sec.kind == "timing")
    assert len(timing.body["a"]) == len(timing.body["b"]) == 5 and timing.body["speedup"] > 1.7
    proposal = next(s for s in view.steps if s.kind == "proposal" and s.attempt == 3)
    diff = next(sec for sec in proposal.sections if sec.kind == "diff").body
    assert "+    #pragma omp parallel for schedule(static)" in diff or "+#pragma omp parallel for schedule(static)" \
        in diff.replace(" ", "")


def test_the_terminal_ui_steps_through_races_build_errors_and_timings(night: Path, tmp_path: Path):
    from hpcagent.agent.review.tui import ReviewApp

    async def scenario() -> dict[str, str]:
        app_ = ReviewApp(night, follow=False)
        seen = {}
        async with app_.run_test(size=(160, 50)) as pilot:
            def text() -> str:
                return app_.detail_text

            assert "start" in text()
            await pilot.press("f")  # first failure: the race
            seen["race"] = text()
            await pilot.press("f")  # the build error (its verdict is a repair, not a failure)
            while "checked" not in app_.current.title:
                await pilot.press("f")
            seen["build"] = text()
            await pilot.press("v")
            seen["verdict"] = text()
            while not (app_.current.kind == "check" and app_.current.outcome == "accepted"):
                await pilot.press("n")
            seen["timing"] = text()
            here = app_.current
            expected = next(s for s in app_.view.steps[here.index:] if s.kind == "target" and s.loop != here.loop)
            await pilot.press("l")
            seen["loop"] = app_.current.title
            seen["expected"] = expected.title
            await pilot.press("p")
            seen["back"] = app_.current.title
            app_.save_screenshot(str(tmp_path / "review.svg"))
            await pilot.press("q")
        return seen

    seen = asyncio.run(scenario())
    assert "race on v" in seen["race"] and "first access: app.c:" in seen["race"]
    assert "scripted build error" in seen["build"]
    assert "verdict" in seen["verdict"]
    assert "original  |" in seen["timing"] and "candidate |" in seen["timing"] and "1.8" in seen["timing"]
    assert seen["loop"] == seen["expected"] and "target:" in seen["loop"] and not seen["loop"].startswith("app.c:8 ")
    assert seen["back"] != seen["loop"]
    shot = (tmp_path / "review.svg").read_text()
    assert "<svg" in shot and "app.c:8" in shot
    if SHOTS:
        shutil.copy(tmp_path / "review.svg", Path(SHOTS) / "review.svg")


def test_the_terminal_ui_follows_a_run_in_progress(night: Path, tmp_path: Path):
    from hpcagent.agent.review.tui import ReviewApp

    run = tmp_path / "live"
    shutil.copytree(night, run)
    lines = (run / "transcript.jsonl").read_text().splitlines(keepends=True)
    (run / "transcript.jsonl").write_text("".join(lines[:6]))

    async def scenario() -> tuple[int, int]:
        app_ = ReviewApp(run, follow=True, poll=0.05)
        async with app_.run_test() as pilot:
            before = len(app_.view.steps)
            with open(run / "transcript.jsonl", "a") as fh:
                fh.write("".join(lines[6:]))
            for _ in range(40):
                await pilot.pause(0.05)
                if len(app_.view.steps) > before:
                    break
            return before, len(app_.query("StepItem"))

    before, after = asyncio.run(scenario())
    assert after > before


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Debian's chromium is needed (.ci/setup installs it)"
    return path


def browse(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    return subprocess.run([chromium(), *flags, *args, page.as_uri()], capture_output=True, text=True, timeout=120)


def png_pixels(path: Path) -> bytes:
    """The decompressed pixel rows of a PNG (filter bytes included): enough to tell a blank page from a drawn one."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + size]
        pos += 12 + size
    return zlib.decompress(idat)


def test_the_html_page_is_self_contained_and_shows_every_loop_and_attempt(night: Path, tmp_path: Path):
    page = tmp_path / "night.html"
    result = runner.invoke(app, ["report", str(night), "--html", str(page)])
    assert result.exit_code == 0, result.output
    text = page.read_text()
    # nothing loaded from elsewhere: no script, no linked style sheet, no remote image or font
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|https?://(?!www\.w3\.org/2000/svg)", text)
    dom = browse(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html_out = dom.stdout
    summary = json.loads((night / "summary.json").read_text())
    rows = re.findall(r'<tr class="loop [^"]*" data-loop="([^"]+)"', html_out)
    assert sorted(rows) == sorted(lp["loop"] for lp in summary["loops"])
    attempts = {(e["loop"], e["attempt"]) for e in events(night) if e["kind"] == "proposal" and e["proposal"]}
    shown = set(re.findall(r'<details class="step" data-loop="([^"]+)" data-attempt="(\d+)" data-kind="check"',
                           html_out))
    assert {(loop, str(n)) for loop, n in attempts} == shown
    assert html_out.count("<svg") >= 3 and "race on v" in html_out and "scripted build error" in html_out
    shot = tmp_path / "report.png"
    res = browse(page, tmp_path, f"--screenshot={shot}", "--window-size=1200,1400", "--hide-scrollbars")
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    pixels = png_pixels(shot)
    assert len(set(pixels)) > 8 and pixels.count(255) < 0.98 * len(pixels)  # not a blank page
    if SHOTS:
        shutil.copy(shot, Path(SHOTS) / "report.png")


def test_show_renders_the_report_for_the_terminal(night: Path):
    result = runner.invoke(app, ["show", str(night)])
    assert result.exit_code == 0, result.output
    assert "hpcagent report" in result.output and "app.c:8" in result.output and "```" not in result.output
    if SHOTS:
        (Path(SHOTS) / "show.txt").write_text("\n".join(result.output.splitlines()[:40]) + "\n")
    missing = runner.invoke(app, ["show", "nosuchrun", "--out", str(night.parent)])
    assert missing.exit_code == 2 and "known runs: night" in missing.output


def test_replay_gives_the_same_verdicts_without_the_planner(night: Path, tmp_path: Path):
    lab = night.parent.parent / "lab.json"
    result = runner.invoke(app, ["replay", str(night), "--sandbox", f"fake:{lab}", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "4 of 4 verdict(s) the same" in result.output, result.output
    if SHOTS:
        (Path(SHOTS) / "replay.txt").write_text(result.output)
    replayed = night.parent / "night-replay"
    before = [(e["loop"], e["attempt"], e["action"]) for e in events(night) if e["kind"] == "verdict"]
    after = [(e["loop"], e["attempt"], e["action"]) for e in events(replayed) if e["kind"] == "verdict"]
    assert before == after and len(before) == 4
    assert json.loads((replayed / "run.json").read_text())["config"]["agent"]["planner"].startswith("scripted:")
    assert (replayed / "patch.diff").read_text() == (night / "patch.diff").read_text()


def test_replay_compares_verdicts_and_tells_timing_from_evidence():
    from hpcagent.agent.review.replay import compare

    def verdict(loop, n, action, kind, stage):
        return [{"kind": "check", "loop": loop, "attempt": n, "stage": stage},
                {"kind": "verdict", "loop": loop, "attempt": n, "action": action, "feedback": {"kind": kind}}]

    before = verdict("a.c:1", 1, "accept", "accepted", "passed") + verdict("a.c:9", 1, "repair", "race", "race")
    after = verdict("a.c:1", 1, "repair", "not_faster", "timing") + verdict("a.c:9", 1, "accept", "accepted",
                                                                           "passed")
    rows = {r.loop: r for r in compare(before, after)}
    assert rows["a.c:1"].timing_only and not rows["a.c:1"].same
    assert not rows["a.c:9"].timing_only and not rows["a.c:9"].same


def test_every_event_follows_the_shipped_schema_and_secrets_are_not_written(night: Path, tmp_path: Path,
                                                                             monkeypatch):
    import jsonschema

    from hpcagent.agent.run.transcript import SCHEMA, Transcript

    schema = json.loads(SCHEMA.read_text())
    assert SCHEMA.resolve().parent == (REPO / "agent" / "run").resolve()
    validator = jsonschema.Draft202012Validator(schema)
    recorded = events(night)
    assert {e["kind"] for e in recorded} >= {"start", "targets", "baseline", "proposal", "check", "verdict", "compose",
                                             "outputs"}
    for e in recorded:
        assert not list(validator.iter_errors(e)), e
    bad = dict(next(e for e in recorded if e["kind"] == "proposal"))
    del bad["planner"]
    assert list(validator.iter_errors(bad))
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-real-key-0123456789")
    log = Transcript(tmp_path / "t.jsonl")
    log.event("model_call", model="openai:x", latency=0.1,
              messages=[{"role": "user", "content": "key not-a-real-key-0123456789 and sk-abcdefghijklmnopqrstuv"}],
              response="Authorization: Bearer abcdefghijklmnop12")
    written = (tmp_path / "t.jsonl").read_text()
    assert "not-a-real-key" not in written and "sk-abcdef" not in written and "abcdefghijklmnop12" not in written
    assert written.count("[redacted]") == 3
    assert not list(validator.iter_errors(json.loads(written)))


def test_the_report_says_where_an_attempt_applies_when_it_is_not_the_target_loop():
    from hpcagent.agent.run.report import attempt_lines
    from hpcagent.evidence import Evidence
    from hpcagent.records import Attempt, Feedback, Proposal, Verdict

    inner = Proposal("app.c", 12, 14, pragma="#pragma omp parallel for", reason="the inner loop")
    attempt = Attempt(1, inner, Evidence(stage="timing"), Verdict("repair", Feedback("not_faster", "1.0x")))
    head = attempt_lines(attempt, "app.c:10")[1]
    assert "on `app.c:12`, not on the target loop itself" in head
    assert "not on the target" not in attempt_lines(attempt, "app.c:12")[1]


def test_replay_answers_the_critic_with_the_recorded_model_answers(tmp_path: Path):
    answers = ["v is shared by every thread: make it private", "schedule(dynamic) did not build here",
               "the sum is too small to pay for the threads"]
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    repo = tmp_path / "mini"
    shutil.copytree(DATA / "projects" / "mini", repo)
    (tmp_path / "plan.json").write_text(json.dumps(PLAN))
    (tmp_path / "lab.json").write_text(json.dumps({"outcomes": OUTCOMES}))
    out = tmp_path / "runs"
    result = runner.invoke(app, ["optimize", str(repo), "--out", str(out), "--run-id", "llm", "--quiet",
                                 "--planner", f"scripted:{tmp_path / 'plan.json'}", "--critic", "llm",
                                 "--model", f"scripted:{tmp_path / 'answers.json'}",
                                 "--sandbox", f"fake:{tmp_path / 'lab.json'}", "--attempts", "3",
                                 "--set", "budget.explore=0"])
    assert result.exit_code == 0, result.output
    (tmp_path / "answers.json").unlink()  # the replay must not need the model's file
    replayed = runner.invoke(app, ["replay", "llm", "--out", str(out), "--quiet"])
    assert replayed.exit_code == 0, replayed.output
    assert "4 of 4 verdict(s) the same" in replayed.output

    def explained(run: Path) -> list[str]:
        return [e["explanation"] for e in events(run) if e["kind"] == "critic_explained"]

    assert explained(out / "llm") == explained(out / "llm-replay") == answers
