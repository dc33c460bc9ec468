"""A racy program that never ends: the run is killed at its timeout, the races it printed before are kept, and
`hpcagent check` says it timed out."""

from __future__ import annotations

import json

import pytest
from conftest import DATA
from typer.testing import CliRunner

from hpcagent.agent.cli.main import app
from hpcagent.sandbox.steps import StepResult
from hpcagent.tools.tsan import parse_tsan

SPIN = DATA / "races" / "r_spin_flag.c"
# What a killed run leaves in its stderr: the report TSan printed while the reader spun (lines of r_spin_flag.c).
PARTIAL = """==================
WARNING: ThreadSanitizer: data race (pid=7)
  Write of size 4 at 0x560000001000 by main thread:
    #0 .omp_outlined._debug__ /w/src/r_spin_flag.c:18:12 (r_spin_flag+0xd3ee5)
  Previous read of size 4 at 0x560000001000 by thread T1:
    #0 .omp_outlined._debug__ /w/src/r_spin_flag.c:20:15 (r_spin_flag+0xd3f01)
  Location is global 'flag' of size 4 at 0x560000001000 (r_spin_flag+0x1479258)
SUMMARY: ThreadSanitizer: data race /w/src/r_spin_flag.c:18:12 in .omp_outlined._debug__
==================
"""


class HangingBox:
    """A sandbox whose build works and whose every run is killed at its timeout after printing PARTIAL."""

    name = "docker"

    def run(self, workdir, steps, limits=None):
        build = StepResult(steps[0].name, steps[0].cmd, 0)
        return [build] + [StepResult(s.name, s.cmd, 124, stderr=PARTIAL, seconds=s.timeout, timed_out=True,
                                     reason=f"timed out after {s.timeout:g} s and was killed") for s in steps[1:]]


def test_a_killed_run_keeps_its_races_and_check_says_it_timed_out(monkeypatch):
    import hpcagent.sandbox.backends as backends

    monkeypatch.setattr(backends, "get_sandbox", lambda name: HangingBox())
    result = CliRunner().invoke(app, ["check", str(SPIN), "--json", "--threads", "2,4", "--timeout", "1"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["timed_out"] and not report["ran"]
    assert [(r["ok"], r["reason"]) for r in report["runs"]] == [(False, "timed out after 1 s and was killed")] * 2
    assert [(r["line"], r["variable"], r["source"]) for r in report["races"]] == [(18, "flag", "dynamic")]
    text = CliRunner().invoke(app, ["check", str(SPIN), "--threads", "2", "--timeout", "1"]).output
    assert "timed out" in text and "races it reported before are kept" in text and "r_spin_flag.c:18 flag" in text


def test_a_static_local_is_named_without_its_function():
    report = PARTIAL.replace("'flag'", "'{}'")
    for name in ("work.calls", "smooth(std::vector<double, std::allocator<double> > const&, int)::calls"):
        [race] = parse_tsan(report.replace("{}", name), root_prefixes=("/w/src/",))
        assert race.variable == "calls" and race.location_name == name


@pytest.mark.docker
def test_a_program_that_never_ends_is_killed_and_still_reported():
    result = CliRunner().invoke(app, ["check", str(DATA / "races" / "r_spin_turns.c"), "--json", "--sandbox",
                                      "docker", "--threads", "2", "--timeout", "2", "--no-static"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["timed_out"], report["runs"]
    assert "timed out" in report["runs"][0]["reason"]
    assert {r["variable"] for r in report["races"]} == {"turn"} and report["races"][0]["source"] == "dynamic"
