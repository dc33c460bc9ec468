"""Discovery: which sources to consider, a real profile of the workload, and the loops ranked hottest first."""

from __future__ import annotations

from pathlib import Path

from hpcagent.agent.config import Config
from hpcagent.agent.protocols import Lab
from hpcagent.errors import BadInput
from hpcagent.tools import sources
from hpcagent.tools.loops.views import Views
from hpcagent.tools.profile import called_inside, outside_loops
from hpcagent.tools.sources import COMPILED, build_output


def source_files(root: Path, cfg: Config) -> list[Path]:
    """The C/C++ translation units under root that the config selects (all of them, outside build output, by
    default)."""
    return sources.source_files(Path(root), COMPILED, skip=build_output, include=cfg.search.sources,
                                exclude=cfg.search.exclude)


def check_codebase(repo: Path, cfg: Config) -> list[Path]:
    """Refuse, before any work, a path that is not a C/C++ code base or lacks a run command."""
    repo = Path(repo)
    if not repo.is_dir():
        raise BadInput(f"{repo} is not a directory", "point hpcagent optimize at a project directory")
    files = source_files(repo, cfg)
    if not files:
        raise BadInput(f"{repo} holds no C or C++ sources" + (" matching search.sources" if cfg.search.sources
                                                                else ""),
                       "point hpcagent at a C/C++ code base (or fix search.sources)")
    if not cfg.run.command:
        raise BadInput("no run command: hpcagent needs a workload to profile and time",
                       'give one with --run "./app ARGS" or [run] command in hpcagent.toml (`hpcagent init` writes one)')
    return files


def discover_targets(work: Path, cfg: Config, lab: Lab) -> dict:
    """Profile the run (lab.profile) and rank the loops of work/orig by their inclusive share of it. Without a
    profile the ranking is static and every loop is kept for now: the baseline's line coverage then leaves out the
    loops the workload never runs (`keep_executed`). With the analysis planner, a loop the analysis has no change
    for is reported as not tried and does not use up search.max_targets."""
    from hpcagent.tools.loops.analysis import rank_targets

    root = work / "orig"
    files = source_files(root, cfg)
    prof = lab.profile(work, cfg)
    read = use_views(work, files, root, lab.name)
    usable = prof if "error" not in prof else None
    targets = rank_targets(root, files, usable)
    chosen, skipped = [], []
    for t in targets:
        if usable is not None:  # rank_targets has set each loop's share from the profile
            if t.share is not None and t.share < cfg.search.min_share:
                if t.proposals and t.share >= cfg.search.min_share_small:  # may join the small loops' set
                    skipped.append({"loop": t.loop_id, "share": t.share, "target": t.to_dict(),
                                    "reason": f"{t.share:.1%} of the time, under min_share {cfg.search.min_share}"})
                continue
            if t.share is not None and amdahl(t.share, cfg.threads.count) < cfg.budget.min_speedup:
                # Even a perfect parallelization of this loop could not clear the acceptance bar.
                # Kept with its target record when the analysis has a change: after compose, such loops are tried
                # together on top of the accepted changes (agent/run/remainder.py).
                skipped.append({"loop": t.loop_id, "share": t.share,
                                "reason": f"{t.share:.1%} of the time: at most {amdahl(t.share, cfg.threads.count):.3f}x "
                                          f"overall, under min_speedup {cfg.budget.min_speedup}",
                                **({"target": t.to_dict()} if t.proposals else {})})
                continue
        if cfg.agent.planner == "analysis" and t.proposals == 0:
            skipped.append({"loop": t.loop_id, "share": t.share,
                            "reason": f"nothing to propose: the analysis says {t.verdict} ({t.reason})"})
            continue
        chosen.append(t.to_dict())
    if usable is None:
        return {"targets": chosen, "profile": {**prof, "skipped": skipped, "views": read}, "ranked_statically": True}
    chosen.sort(key=lambda t: -(t["share"] or 0.0))
    chosen = chosen[: cfg.search.max_targets]
    mark_inside(prof, chosen + [s["target"] for s in skipped if "target" in s], chosen)
    outside = outside_loops(prof, [(t.file, t.line, t.end_line) for t in targets])
    return {"targets": chosen,
            "profile": {**prof, "skipped": skipped, "outside": outside, "views": read}}


CALLED_INSIDE = 0.95
"""A loop whose profile samples run in calls from another target's body at least this often runs inside it."""


def mark_inside(prof: dict, loops: list[dict], targets: list[dict]) -> None:
    """Set each loop's `inside` (LoopTarget.inside): the targets from whose bodies nearly all its time is called."""
    def span(t: dict) -> tuple[str, int, int]:
        return t["file"], t["line"], t["end_line"]
    for lp in loops:
        lp["inside"] = [f"{o['file']}:{o['line']}" for o in targets if o is not lp and span(o) != span(lp)
                        and called_inside(prof, span(lp), span(o)) >= CALLED_INSIDE]


def use_views(work: Path, files: list[Path], root: Path, lab: str) -> dict:
    """Register the views the profile build left in work/views (tools/loops/views.py) for this process's analysis;
    what was read as the compiler sees it, and which translation units as written and why."""
    found = Views.activate(work / "views")
    if found is None:
        why = ("the fake lab records no compile commands" if lab == "fake" else
               "no compile command was recorded (the profile build did not finish)")
        return {"preprocessed": [], "raw": {str(f.relative_to(root)): why for f in files}}
    read = found.summary()
    for f in files:
        rel = str(f.relative_to(root))
        if rel not in found.views and rel not in read["raw"]:
            read["raw"][rel] = "no compile command: the build did not compile it"
    return read


def keep_executed(targets: list[dict], executed: dict[str, list[int]] | None, limit: int) -> tuple[list, list]:
    """Without a profile: the statically ranked loops the workload's run enters (line coverage), at most `limit`,
    and the others as not tried with the reason."""
    from hpcagent.records import LoopTarget
    from hpcagent.sandbox.coverage import entered

    kept, skipped = [], []
    for t in map(LoopTarget.from_dict, targets):
        if executed is not None and not entered(executed, t.file, t.line, t.end_line):
            skipped.append({"loop": t.loop_id, "share": None, "reason": "never executed by the run (line coverage)"})
        else:
            kept.append(t.to_dict())
    return kept[:limit], skipped


def amdahl(share: float, threads: int) -> float:
    """The whole-program speedup if a loop with this share of the time ran perfectly on `threads` threads."""
    share = min(max(share, 0.0), 1.0)
    return 1.0 / (1.0 - share + share / threads)
