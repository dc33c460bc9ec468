"""The race-check runs' outputs against the original's: what lab.evidence checks before the timed run."""

from __future__ import annotations

from hpcagent.agent.config import Config
from hpcagent.evidence import Baseline, RaceCheck
from hpcagent.tools.compare import compare_text


def race_output_differs(race: RaceCheck, base: Baseline, cfg: Config, trees: tuple[str, str] = ("", "")) -> str | None:
    """The race-check input's output at every thread count and schedule against the original's (same compiler and
    flags): a wrong value a checksum would hide at one count can show at another. trees: compare_text's, the
    original's race-check copy and the candidate's."""
    reference = next((r.stdout_tail for r in base.race_runs if r.ok), None)
    if reference is None:
        return None
    for run in (r for r in race.runs if r.ok):
        text = run.stdout_tail
        if run.schedule and trees[1]:  # race_evidence's perturbed copy of the candidate is `<tree>-sched`
            text = text.replace(trees[1] + "-sched", trees[1])
        diff = compare_text(reference, text, cfg.test.rtol, cfg.test.atol, base.mask("race"), trees)
        if diff:
            where = f"{run.threads} thread(s)" + (f", schedule {run.schedule}" if run.schedule else "")
            return f"the race-check input's output at {where} differs from the original's: {diff}"
    return None
