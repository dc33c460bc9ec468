"""Profiles as the ranking reads them: sampled call stacks of source lines (sandbox/sampler.py), folded into shares
of the run. A loop's share is inclusive: every sample with a line of the loop anywhere on its stack, so the time of
the functions a loop calls (and of their inlined code) counts for the loop."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def build_profile(stacks: Counter, functions: Counter, samples: int, lost: int = 0,
                  cpu_seconds: float | None = None) -> dict:
    """The profile dict a run keeps: {'stacks': [[count, ['file:line', ...]], ...] (interrupted line first),
    'functions': {name: self share}, 'lines': {'file:line': self share}, 'samples', 'lost', 'seconds' (the CPU time
    the profiled processes used, as they measured it; None when unknown)}."""
    total = max(samples, 1)
    lines: Counter = Counter()
    for chain, count in stacks.items():
        if chain:
            lines[chain[0]] += count
    return {"stacks": [[count, list(chain)] for chain, count in stacks.most_common() if chain],
            "functions": {name: round(n / total, 5) for name, n in functions.most_common()},
            "lines": {key: round(n / total, 5) for key, n in lines.most_common()},
            "samples": samples, "lost": lost,
            "seconds": round(cpu_seconds, 3) if cpu_seconds is not None else None}


def _same_file(path: str, file: str) -> bool:
    return path == file or (not path.startswith("/") and Path(path).name == Path(file).name
                            and (path.endswith("/" + file) or file.endswith("/" + path) or "/" not in path + file))


def loop_share(profile: dict, file: str, line: int, end_line: int, function: str = "") -> float | None:
    """Share of the run's samples with a line of file:line..end_line on their stack (inclusive time); without
    stacks, the self time of the loop's lines, else its function's share, else None."""
    if profile.get("stacks") is not None:
        hits = 0
        for count, chain in profile["stacks"]:
            for key in chain:
                path, _, num = key.rpartition(":")
                if line <= int(num) <= end_line and _same_file(path, file):
                    hits += count
                    break
        return min(hits / max(profile.get("samples") or 1, 1), 1.0)
    lines = profile.get("lines") or {}
    if lines:
        total = 0.0
        for key, share in lines.items():
            path, _, num = key.rpartition(":")
            if line <= int(num) <= end_line and _same_file(path, file):
                total += share
        return min(total, 1.0)
    if function and function in (profile.get("functions") or {}):
        return profile["functions"][function]
    return None


def outside_loops(profile: dict, loops: list[tuple[str, int, int]], least: float = 0.02, most: int = 5) -> list[dict]:
    """The hottest lines of the samples no loop of `loops` (file, line, end_line) holds anywhere on their stack:
    time the ranking cannot give to any loop (straight-line code, a loop the analysis did not read), reported so
    it is never silently dropped. [{'line': 'file:line', 'share'}] with share >= least, at most `most` of them."""
    total = max(profile.get("samples") or 1, 1)
    counts: dict[str, int] = {}
    for count, chain in profile.get("stacks") or []:
        inside = False
        for key in chain:
            path, _, num = key.rpartition(":")
            if any(start <= int(num) <= end and _same_file(path, file) for file, start, end in loops):
                inside = True
                break
        if not inside and chain:
            counts[chain[0]] = counts.get(chain[0], 0) + count
    hot = sorted(counts.items(), key=lambda kv: -kv[1])
    return [{"line": key, "share": round(n / total, 4)} for key, n in hot if n / total >= least][:most]


def _frame(chain: list[str], file: str, line: int, end_line: int, start: int = 0) -> int | None:
    """The index of the first frame of chain, from `start`, on a line of file:line..end_line."""
    for i in range(start, len(chain)):
        path, _, num = chain[i].rpartition(":")
        if line <= int(num) <= end_line and _same_file(path, file):
            return i
    return None


def called_inside(profile: dict, inner: tuple[str, int, int], outer: tuple[str, int, int]) -> float:
    """Of the samples with a line of the loop `inner` (file, line, end_line) on their stack, the fraction that have
    a line of `outer` in a caller's frame: how much of inner's time runs in a call made from outer's body
    (RSBench's per-nuclide loop inside the loop over particle histories). 0.0 without stacks or samples."""
    hits = total = 0
    for count, chain in profile.get("stacks") or []:
        at = _frame(chain, *inner)
        if at is None:
            continue
        total += count
        if _frame(chain, *outer, start=at + 1) is not None:
            hits += count
    return hits / total if total else 0.0
