"""Turn ThreadSanitizer output into race records: accesses, location, variable, folded by source-line pair."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hpcagent.evidence import RaceSite
from hpcagent.tools.lvalue import variable_in_file

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WARNING = re.compile(r"WARNING: ThreadSanitizer: (.+?)(?: \(pid=\d+\))?$")
_ACCESS = re.compile(
    r"^(?P<prev>Previous )?(?P<atomic>atomic )?(?P<kind>read|write) of size (?P<size>\d+) at (?P<addr>0x[0-9a-f]+)"
    r" by (?:main thread|thread (?P<tid>T\d+))", re.IGNORECASE)
_FRAME = re.compile(r"^#(?P<n>\d+) (?P<rest>.*)$")
_MODULE = re.compile(r"\s*\((?P<module>[^()]*?)\+0x[0-9a-f]+\)$")
_LOC = re.compile(r"^(?P<path>.+?)(?::(?P<line>\d+)(?::(?P<col>\d+))?)?$")
_GLOBAL = re.compile(r"^Location is global '(?P<name>[^']*)'(?: of size (?P<size>\d+))?")
_HEAP = re.compile(r"^Location is heap block of size (?P<size>\d+)")
_STACK = re.compile(r"^Location is (?P<text>(?:stack|TLS) of (?:main thread|thread T\d+))")
_ALLOCATORS = ("malloc", "calloc", "realloc", "aligned_alloc", "posix_memalign", "memalign", "valloc",
               "operator new", "<null>")
_RUNTIME_MODULES = ("libomp", "libgomp", "libarcher", "libiomp")
_SYSTEM_DIRS = ("/usr/", "/lib/", "/opt/")


@dataclass
class Frame:
    """One stack frame: function, file (root prefix stripped), line and column (0 when unknown), module."""

    function: str
    file: str
    line: int = 0
    column: int = 0
    module: str = ""


@dataclass
class Access:
    """One side of a race: what was done, where, by which thread."""

    kind: str
    """read or write."""
    size: int
    atomic: bool
    file: str
    line: int
    column: int
    function: str
    thread: str
    """T1, T2, ... or main."""
    exact: bool = True
    """False when frame #0 had no line and line/column come from an outer frame (often the pragma line)."""
    frames: list[Frame] = field(default_factory=list)


@dataclass
class Race:
    """A data race between two accesses; `count` reports with the same source-line pair were folded into it."""

    first: Access
    second: Access
    location_kind: str = "unknown"
    """global, heap, stack or unknown."""
    location_name: str = ""
    """The global's name, when TSan gives one."""
    heap_block_size: int | None = None
    location_text: str = ""
    """e.g. 'stack of main thread'."""
    threads: list[str] = field(default_factory=list)
    variable: str = ""
    count: int = 1
    runtime_memory: bool = False
    """True when the memory is a heap block the OpenMP runtime allocated (its task descriptors)."""
    summary: str = ""

    @property
    def primary(self) -> Access:
        """The access to show first: TSan's first, unless only the other one has an exact line."""
        if not self.first.exact and self.second.exact:
            return self.second
        return self.first

    @property
    def other(self) -> Access:
        return self.first if self.primary is self.second else self.second

    @property
    def kind(self) -> str:
        return f"{self.primary.kind}-{self.other.kind}"

    def key(self) -> tuple:
        """The unordered pair of (file, line) that identifies duplicates."""
        return tuple(sorted([(self.first.file, self.first.line), (self.second.file, self.second.line)]))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(file=self.primary.file, line=self.primary.line, other_file=self.other.file,
                    other_line=self.other.line, kind=self.kind)
        return data

    def site(self) -> RaceSite:
        """The flat record the evidence carries."""
        return RaceSite.from_dict(self.to_dict())


def _strip_root(path: str, root_prefixes: tuple[str, ...]) -> str:
    for prefix in root_prefixes:
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def _parse_frame(rest: str, root_prefixes: tuple[str, ...]) -> Frame:
    rest = re.sub(r"\s*\(BuildId: [0-9a-f]+\)$", "", rest.strip())
    module = ""
    m = _MODULE.search(rest)
    if m:
        module, rest = m.group("module"), rest[:m.start()]
    function, _, where = rest.rpartition(" ")
    if not function:  # a frame with only one token: treat it as the function
        function, where = where, "<null>"
    loc = _LOC.match(where)
    if where == "<null>" or not loc:
        return Frame(function=function, file="", module=module)
    return Frame(function=function, file=_strip_root(loc.group("path"), root_prefixes),
                 line=int(loc.group("line") or 0), column=int(loc.group("col") or 0), module=module)


def _choose_frame(frames: list[Frame]) -> tuple[Frame | None, bool]:
    """Pick the frame that names the access's source line, and say whether it is frame #0."""
    lined = [f for f in frames if f.line > 0]
    user = [f for f in lined if not f.file.startswith(_SYSTEM_DIRS)]
    chosen = (user or lined or [None])[0]
    return chosen, bool(frames) and chosen is frames[0]


def _make_access(m: re.Match, frames: list[Frame]) -> Access:
    chosen, exact = _choose_frame(frames)
    return Access(kind=m.group("kind").lower(), size=int(m.group("size")), atomic=bool(m.group("atomic")),
                  file=chosen.file if chosen else "", line=chosen.line if chosen else 0,
                  column=chosen.column if chosen else 0, function=chosen.function if chosen else "",
                  thread=m.group("tid") or "main", exact=exact, frames=frames)


def _from_runtime(frames: list[Frame]) -> bool:
    for frame in frames:
        if frame.function.startswith(_ALLOCATORS) and not frame.module.startswith(_RUNTIME_MODULES):
            continue
        return frame.module.startswith(_RUNTIME_MODULES)
    return False


def _parse_block(lines: list[str], root_prefixes: tuple[str, ...]) -> Race | None:
    """Parse one 'data race' report (the lines after its WARNING line)."""
    sections: list[tuple[str, re.Match | None, list[Frame]]] = []
    race_fields: dict[str, Any] = {}
    summary = ""
    for raw in lines:
        line = raw.strip()
        frame = _FRAME.match(line)
        if frame and sections:
            sections[-1][2].append(_parse_frame(frame.group("rest"), root_prefixes))
            continue
        access = _ACCESS.match(line)
        glob, heap, stack = _GLOBAL.match(line), _HEAP.match(line), _STACK.match(line)
        if access:
            sections.append(("access", access, []))
        elif heap:
            race_fields.update(location_kind="heap", heap_block_size=int(heap.group("size")))
            sections.append(("heap", None, []))
        elif glob and glob.group("name") != "??":
            race_fields.update(location_kind="global", location_name=glob.group("name"))
        elif stack:
            race_fields.update(location_kind="stack", location_text=stack.group("text"))
        elif line.startswith("SUMMARY:"):
            summary = line
        elif line:
            sections.append(("other", None, []))  # thread creation, mutexes: frames we do not need
    accesses = [_make_access(m, frames) for kind, m, frames in sections if kind == "access" and m]
    if len(accesses) < 2:
        return None
    heap_frames = next((frames for kind, _, frames in sections if kind == "heap"), [])
    threads = list(dict.fromkeys(a.thread for a in accesses[:2]))
    return Race(first=accesses[0], second=accesses[1], threads=threads, summary=summary,
                runtime_memory=_from_runtime(heap_frames), **race_fields)


def _name_variable(race: Race, source_root: Path | None) -> str:
    if race.location_name:
        # a static local is a global named after its function: `work.calls` (C), `work(int)::calls` (C++)
        return re.split(r"\.|::", race.location_name)[-1]
    if source_root is None:
        return ""
    for access in (race.primary, race.other):
        if access.exact and access.file:
            name = variable_in_file(Path(source_root) / access.file, access.line, access.column)
            if name:
                return name
    return ""


def parse_tsan(text: str, *, root_prefixes: tuple[str, ...] = ("/w/",), source_root: Path | None = None,
               keep_runtime: bool = False) -> list[Race]:
    """Parse TSan output into races, folding duplicates by source-line pair.

    Races on heap memory the OpenMP runtime allocated are dropped unless keep_runtime: with LLVM 16's Archer,
    libomp reuses task descriptors without telling TSan, which reports races on them in race-free task code.
    """
    races: dict[tuple, Race] = {}
    block: list[str] | None = None

    def close() -> None:
        race = _parse_block(block or [], root_prefixes)
        if race is None or (race.runtime_memory and not keep_runtime):
            return
        key = race.key()
        if key in races:
            races[key].count += 1
        else:
            race.variable = _name_variable(race, source_root)
            races[key] = race

    for raw in _ANSI.sub("", text).splitlines():
        warning = _WARNING.search(raw)
        if warning or raw.strip().startswith("=================="):
            if block is not None:
                close()
            block = [] if warning and warning.group(1).startswith("data race") else None
        elif block is not None:
            block.append(raw)
    if block is not None:
        close()
    return list(races.values())


def summary_lines(races: list[Race] | list[RaceSite]) -> list[str]:
    """Return one human line per race: 'racy.c:5 s (write-write with racy.c:5), 3 reports', or for a race the loop
    analysis proved, 'racy.c:5 s (static: ...)'."""
    out = []
    for race in races:
        r = race.site() if isinstance(race, Race) else race
        if r.source == "static":
            out.append(f"{r.file}:{r.line} {r.variable or '?'} (static: {r.summary})")
            continue
        reports = f"{r.count} report" + ("s" if r.count != 1 else "")
        out.append(f"{r.file}:{r.line} {r.variable or '?'} ({r.kind} with {r.other_file}:{r.other_line}), {reports}")
    return out
