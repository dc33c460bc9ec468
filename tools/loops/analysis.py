"""Public loop-analysis API: analyze_file, analyze_path, format_table, rank_targets, candidates_for."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from hpcagent.errors import BadInput
from hpcagent.records import LoopTarget, Proposal, loop_id
from hpcagent.tools.loops import views
from hpcagent.tools.loops.cparse import Source, parse_file
from hpcagent.tools.loops.directions import perfect_band
from hpcagent.tools.loops.distribute import distributed_candidates, split_candidates
from hpcagent.tools.loops.fusion import fusion_candidates
from hpcagent.tools.loops.groups import sibling_picks, top_pick
from hpcagent.tools.loops.inner_bands import inner_band_candidates, inner_bands
from hpcagent.tools.loops.interchange import locality_candidates, order_cost
from hpcagent.tools.loops.program import Program
from hpcagent.tools.loops.proposals import (
    SMALL_WORK,
    atomic_candidate,
    locality_order,
    nest_order,
    pragma_candidates,
    starts_line,
    unproven_candidates,
)
from hpcagent.tools.loops.regions import team_around, team_at_call_sites
from hpcagent.tools.loops.simd import simd_candidates
from hpcagent.tools.loops.thread_rows import rows_marked, rows_team, rows_verdict
from hpcagent.tools.loops.unroll_jam import unroll_jam_candidates
from hpcagent.tools.loops.verdict import FileAnalyzer, LoopFacts
from hpcagent.tools.metrics import function_metrics, metrics_at
from hpcagent.tools.profile import loop_share
from hpcagent.tools.sources import COMPILED, PARSED, source_files

UNKNOWN_TRIP = 100


@dataclass
class LoopReport:
    """One loop: the verdict, its reason, the best pragma and every candidate, plus the facts behind them."""

    file: str
    line: int
    end_line: int
    function: str
    depth: int
    verdict: str
    reason: str
    pragma: str | None = None
    clauses: list[str] = field(default_factory=list)
    candidates: list[Proposal] = field(default_factory=list)
    kind: str = "for"
    scalars: dict[str, str] = field(default_factory=dict)
    """name -> role (private, lastprivate, reduction(op), carried, unknown)."""
    dependences: list[str] = field(default_factory=list)
    trip_count: int | None = None
    cost: int = 1
    calls: list[str] = field(default_factory=list)
    unproven: str | None = None
    """The pragma the loop would get if its possible dependences / aliasing were absent: a candidate the analysis
    did not prove (see LoopFacts.unproven_clauses); None if there is none."""
    obstacle: str = ""
    """What the analysis could not prove, when unproven is set."""
    team: Proposal | None = None
    """For a loop that stays serial: one thread team around it, its body's loops shared out (tools/loops/regions.py)."""
    index: str = ""
    """The loop's index variable ('' when it has none in canonical form)."""
    strided: int = 0
    """Accesses of its perfect nest that move by more than one element per step of the innermost loop as written (a
    column walk): what a loop order or a tiling can fix; 0 when the nest is not a perfect band."""

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "end_line": self.end_line, "function": self.function,
                "depth": self.depth, "verdict": self.verdict, "reason": self.reason, "pragma": self.pragma,
                "clauses": list(self.clauses),
                "unproven": {"pragma": self.unproven, "obstacle": self.obstacle} if self.unproven else None}

    def facts_text(self) -> str:
        """A compact summary for people and language models."""
        head = f"{self.file}:{self.line}-{self.end_line} {self.kind} loop in {self.function}() depth {self.depth}"
        rows = [f"{head}: {self.verdict} ({self.reason})"]
        if self.scalars:
            rows.append("scalars: " + ", ".join(f"{k}={v}" for k, v in sorted(self.scalars.items())))
        if self.dependences:
            rows.append("dependences: " + "; ".join(self.dependences[:4]))
        if self.calls:
            rows.append("calls: " + ", ".join(sorted(set(self.calls))))
        trip = self.trip_count if self.trip_count is not None else "unknown"
        rows.append(f"trip count: {trip}; ~{self.cost} operations per iteration")
        if self.pragma:
            rows.append(f"proposed: {self.pragma}")
        if self.unproven:
            rows.append(f"unproven candidate (not proven by the analysis: {self.obstacle}): {self.unproven}")
        return "\n".join(rows)


def _report(fa: FileAnalyzer, facts: dict[int, LoopFacts], f: LoopFacts, file: str) -> LoopReport:
    loop = f.loop
    cands: list[Proposal] = []
    reason = f.reason
    if f.thread_rows is not None and not f.thread_rows.inside:  # the team the rows assume (a plain pragma: row [0])
        cands = rows_team(fa.src, file, f)
        reason = cands[0].reason if cands else reason
    elif f.parallel:
        cands = pragma_candidates(fa, facts, loop, file)
        rewrites = [*locality_candidates(fa, facts, loop, file), *distributed_candidates(fa, facts, loop, file),
                    *split_candidates(fa, facts, loop, file),
                    *unroll_jam_candidates(fa, facts, loop, file, cands[0]),
                    *inner_band_candidates(fa, facts, loop, file, cands[0]),
                    *fusion_candidates(fa, facts, loop, file, cands[0])] if cands else []
        cands[1:1] = locality_order(rewrites) + simd_candidates(fa, facts, loop, file, cands[0] if cands else None)
        orphaned = team_at_call_sites(fa.src, f, file, cands[0]) if cands and cands[0].kind == "pragma" else None
        if orphaned is not None:
            cands.insert(0, orphaned)
        if f.trip is not None and f.trip * f.cost < SMALL_WORK:
            reason += f" (too small to pay for a thread team: {f.trip} x ~{f.cost} operations)"
        elif not starts_line(fa.src, loop):
            reason += " (the loop shares its line with other code: no pragma proposed)"
    elif f.atomics:
        cands = [c for c in [atomic_candidate(fa, f, file)] if c is not None]
    elif f.unproven_clauses is not None:
        own = unproven_candidates(fa, facts, loop, file)
        if f.private_arrays:
            # privatized scratch: whatever is unproven is only what the caller sees in the scratch afterwards, while
            # the inner levels would open a thread team per iteration of this loop: this level first
            cands = own + _inner_proven(fa, facts, loop, file)
        else:
            # proven candidates of the inner levels first; this level's own only after them (not proven), then the
            # unproven ones of the level below; a proven loop of a few iterations (a team forked per block) last
            cands = nest_order(fa, facts, loop, file, _inner_proven(fa, facts, loop, file), own)
    cands = rows_marked(cands, f) if f.thread_rows is not None and f.thread_rows.inside else cands
    scalars = {s.name: (f"reduction({s.op})" if s.role == "reduction" else s.role) for s in f.scalars}
    pragma = next((c.pragma for c in cands if c.kind == "pragma" and f.parallel and c.proof == "static"), None)
    clauses = next((c.clauses for c in cands if c.kind == "pragma" and c.line == loop.line and c.proof == "static"),
                   f.clauses if f.parallel else [])
    unproven = next((c.pragma for c in cands if c.proof == "unproven" and c.line == loop.line), None)
    return LoopReport(file, loop.line, loop.end_line, loop.function, loop.depth, rows_verdict(f), reason, pragma,
                      list(clauses), cands, loop.kind, scalars, list(f.memory.pairs if f.memory else []),
                      f.trip, f.cost, list(f.calls), unproven, f.obstacle if unproven else "", index=loop.index or "",
                      strided=_strided(fa, loop) if any(c.locality for c in cands) else 0)


def _strided(fa: FileAnalyzer, loop) -> int:
    """Strided accesses innermost in the loop's own perfect band, or in the bands inside its body."""
    bands = [b for b in [perfect_band(fa, loop)] if len(b) >= 2] or inner_bands(fa, loop)
    return max((order_cost(fa, b, tuple(range(len(b))))[0] for b in bands), default=0)


def is_team_target(rep: LoopReport, reports: list[LoopReport]) -> bool:
    """A loop not proved parallel that holds parallel loops it can share out as one change (a group)."""
    return rep.verdict not in ("parallel", "reduction") and (rep.team is not None
                                                             or len(sibling_picks(rep, reports)) >= 2)


def _inner_proven(fa: FileAnalyzer, facts: dict[int, LoopFacts], loop, file: str) -> list[Proposal]:
    """The proven candidates of the first levels below loop that have some (what the nest would offer without
    loop's unproven ones)."""
    out: list[Proposal] = []
    for child in loop.children:
        mine = facts.get(child.node.id)
        if mine is None:
            continue
        if mine.parallel or mine.atomics:
            out += [c for c in _report(fa, facts, mine, file).candidates if c.proof == "static"]
        else:
            out += _inner_proven(fa, facts, child, file)
    return out


def _keep_to_the_file(src: Source, rep: LoopReport) -> None:
    """On a preprocessed view: a loop that comes from a macro's body gets no change, and a change that rewrites
    lines a macro expanded is dropped (it would write the expansion into the file)."""
    if views.in_macro(src.raw, rep.line):
        rep.candidates, rep.pragma, rep.unproven = [], None, None
        rep.reason += " (the loop is written inside a macro: hpcagent does not edit macro bodies)"
        return
    rep.candidates = [c for c in rep.candidates if _on_the_file(src, c)]


def _on_the_file(src: Source, change: Proposal) -> bool:
    """No edit of the change inserts before a loop that comes from a macro or rewrites lines a macro expanded."""
    for e in change.edits:
        if change.locality and e.end_line >= e.start_line:
            # a loop-order or tiling rewrite copies the file's own text (macro names as written): only a loop a
            # macro writes in its range stops it
            if any(views.from_macro(src.raw, src.text, line) for line in range(e.start_line, e.end_line + 1)):
                return False
            continue
        if e.end_line < e.start_line:
            if views.from_macro(src.raw, src.text, e.start_line):
                return False
        elif not views.same_lines(src.raw, src.text, e.start_line, e.end_line):
            return False
    return True


def _reports(fa: FileAnalyzer, file: str) -> dict[int, LoopReport]:
    """Every loop's report, keyed by its node's id. A loop that stays serial and has no candidate of its own gets
    its team (tools/loops/regions.py), from the top candidates of the loops in its body."""
    facts = {f.loop.node.id: f for f in fa.analyze_all()}
    reports = {key: _report(fa, facts, f, file) for key, f in facts.items()}
    if fa.src.raw is not None:
        for rep in reports.values():
            _keep_to_the_file(fa.src, rep)
    for key, rep in reports.items():
        loop = facts[key].loop
        if facts[key].parallel or not loop.children or any(c.line == loop.line for c in rep.candidates):
            continue
        picks = {child.line: pick for child in loop.children
                 if child.node.id in reports and (pick := top_pick(reports[child.node.id])) is not None}
        rep.team = team_around(fa.src, facts, loop, file, picks)
        if rep.team is not None and fa.src.raw is not None and not _on_the_file(fa.src, rep.team):
            rep.team = None
    return reports


def analyze_source(src: Source, file: str, program: Program | None = None) -> list[LoopReport]:
    return list(_reports(FileAnalyzer(src, program), file).values())


def _label(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def analyze_file(path: Path, root: Path | None = None, program: Program | None = None) -> list[LoopReport]:
    """Analyse every loop of one C/C++ file; file names in the reports are relative to root when given.

    With program (see load_program), aliasing is proved through the callers in every file of it.
    """
    path = Path(path)
    src = program.sources.get(str(path.resolve())) if program is not None else None
    if src is None:
        src = parse_file(path)
    return analyze_source(src, _label(path, root), program)


_PROGRAMS: dict[tuple, Program] = {}


def load_program(root: Path, files: list[Path] | None = None) -> Program:
    """The whole program at root (every C/C++ file, or the files given), parsed once per file state."""
    files = [Path(f).resolve() for f in (files or checked_sources(Path(root)))]
    key = (tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files), views.generation())
    if key not in _PROGRAMS:
        _PROGRAMS.clear()  # one program at a time: the cache is for repeated planner calls on one tree
        _PROGRAMS[key] = Program.from_files(files)
    return _PROGRAMS[key]


def checked_sources(path: Path) -> list[Path]:
    """The C/C++ files at path (a file or a directory tree, headers included, hidden paths not); BadInput if there
    are none."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"{path} does not exist", "give a C/C++ file or a directory that holds some")
    files = source_files(path)
    if not files:
        raise BadInput(f"{path} holds no C/C++ source ({', '.join(sorted(PARSED))})",
                       "point hpcagent at a source file or the repository root")
    return files


def analyze_path(path: Path, compile_commands: Path | None = None) -> dict:
    """Return {'loops': [...]} for a file or a directory, in the JSON shape of `hpcagent analyze --json`.

    With compile_commands (a compile_commands.json), each translation unit it covers is preprocessed on this machine
    with its command and analysed as the compiler sees it (tools/loops/views.py); 'views' then says which files
    were read that way and which were read as written, and why."""
    path = Path(path)
    root = path if path.is_dir() else path.parent
    files = checked_sources(path)
    summary = None
    if compile_commands is not None:
        entries = read_compile_commands(Path(compile_commands))
        found = views.from_compile_commands(root, entries, [f for f in files if f.suffix in COMPILED])
        found.register()
        summary = found.summary()
    try:
        program = load_program(root, files)
        loops = [r.to_json() for f in files for r in analyze_file(f, root, program)]
    finally:
        views.use({})
    return {"loops": loops, **({"views": summary} if summary is not None else {})}


def read_compile_commands(path: Path) -> list[dict]:
    """The entries of a compile_commands.json; BadInput when it is not one."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read {path} as compile_commands.json: {exc}",
                       "give the file CMake (CMAKE_EXPORT_COMPILE_COMMANDS) or Bear wrote") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "file" in e for e in entries):
        raise BadInput(f"{path} is not a list of compile commands (objects with 'file', 'directory', 'arguments')",
                       "give the file CMake (CMAKE_EXPORT_COMPILE_COMMANDS) or Bear wrote")
    return entries


def format_table(result: dict) -> str:
    """A readable table of analyze_path's result."""
    rows = [("location", "function", "d", "verdict", "pragma / reason")]
    for lp in result["loops"]:
        last = lp["pragma"] or lp["reason"]
        if lp.get("unproven"):
            last += f" [unproven candidate: {lp['unproven']['pragma']}]"
        rows.append((loop_id(lp["file"], lp["line"]), lp["function"], str(lp["depth"]), lp["verdict"], last))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4] for r in rows]
    counts = {}
    for lp in result["loops"]:
        counts[lp["verdict"]] = counts.get(lp["verdict"], 0) + 1
    lines.append(f"{len(result['loops'])} loops: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    read = result.get("views")
    if read is not None:
        lines.append(f"read as the compiler sees them (preprocessed with their compile commands): "
                     f"{', '.join(read['preprocessed']) or 'none'}")
        lines += [f"read as written: {rel}: {why}" for rel, why in read["raw"].items()]
    return "\n".join(lines)


def _nest_targets(reports: dict[int, LoopReport], loop) -> list:
    rep = reports[loop.node.id]
    # a loop not proved parallel around several parallel loops (a time step of sweeps): the planner tries them there
    # first as one group change, then each of them as a target of its own
    group = is_team_target(rep, list(reports.values()))
    if rep.candidates and not group:
        return [rep]
    inner = [t for child in loop.children for t in _nest_targets(reports, child)]
    return [rep, *inner] if group else inner


def _descendants(loop) -> list:
    """The loop and every loop nested in it, outermost first."""
    return [loop, *(d for child in loop.children for d in _descendants(child))]


def rank_targets(root: Path, files: list[Path] | None = None, profile: dict | None = None) -> list[LoopTarget]:
    """Rank one loop per nest (its outermost parallel loop, else the nest itself), best first.

    A serial loop whose body holds two or more parallel loops (a time step of sweeps) is a target too, ranked just
    before the loops it holds: the planner tries them there as one group change (tools/loops/groups.py).
    """
    root = Path(root)
    files = [Path(f) if Path(f).is_absolute() else root / f for f in files] if files else checked_sources(root)
    # the whole tree's functions, headers included (inline functions, C++ members defined in a class body), even
    # when only some files are searched for loops
    program = load_program(root)
    targets = []
    for path in files:
        rel = _label(path, root)
        src = program.sources.get(str(path.resolve())) or parse_file(path)
        fa = FileAnalyzer(src, program)
        reports = _reports(fa, rel)
        every = list(reports.values())
        metrics = function_metrics(path)
        for loop in (lp for lp in fa.loops if lp.depth == 1):
            nest: list[LoopTarget] = []
            groups: list[int] = []
            # a nest with nothing to propose anywhere: every loop of it, so each one's reason is reported
            for rep in _nest_targets(reports, loop) or [reports[lp.node.id] for lp in _descendants(loop)]:
                work = (rep.trip_count or UNKNOWN_TRIP) * rep.cost
                fm = metrics_at(metrics, rep.line)
                size = math.log10(1 + (fm.nloc * fm.ccn if fm else 1))
                share = None
                if profile:
                    share = loop_share(profile, rel, rep.line, rep.end_line, rep.function) or 0.0
                group = is_team_target(rep, every)
                if group:
                    groups.append(len(nest))
                proven = any(c.proof == "static" for c in rep.candidates)
                bonus = 1.0 if proven or group else 0.5 if rep.candidates else 0.0  # unproven only: after proven
                score = (share or 0.0) * 100 + bonus + math.log10(1 + work) / 100 + size / 1000
                nest.append(LoopTarget(rel, rep.line, rep.end_line, rep.function, rep.depth, share,
                                       round(score, 6), rep.verdict, rep.reason,
                                       proposals=len(rep.candidates) + (1 if group else 0)))
            for g in sorted(groups, key=lambda i: -nest[i].depth):  # a group goes before the loops it covers
                inside = [t.score for t in nest if nest[g].line < t.line <= nest[g].end_line]
                nest[g].score = round(max([nest[g].score, *[x + 1e-6 for x in inside]]), 6)
            targets += nest
    return sorted(targets, key=lambda t: -t.score)


def candidates_for(root: Path, file: str, line: int) -> list[Proposal]:
    """Ranked proposals for the loop starting at file:line (file relative to root); [] if none."""
    path = Path(root) / file
    for rep in analyze_file(path, Path(root), load_program(Path(root))):
        if rep.line == line:
            return rep.candidates
    return []
