"""The project's own compile commands run again in the sandbox, for the analysis: each source preprocessed as the
compiler sees it (tools/loops/views.py), and the compiler's vectorization report (tools/loops/vectorizer.py).
Both read the commands the compiler wrappers logged during the profile build."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from hpcagent.sandbox.racecheck import prefixes
from hpcagent.sandbox.steps import Step
from hpcagent.tools.loops import views
from hpcagent.tools.loops.views import Views


def preprocess(sandbox, work: Path, tree: str, timeout: float = 600.0) -> Views:
    """Preprocess each source the build of work/tree compiled, with its logged command, in the sandbox; fold the
    output into views of the project's files (tools/loops/views.py) and save them in work/views for the analysis."""
    from hpcagent.sandbox.wrappers import WRAP_DIR

    root = work / tree
    roots = prefixes(sandbox, work, tree)

    def here(path: str) -> Path | None:
        return local_file(root, roots, path)

    units, lines = [], []
    for rel, directory, argv, arg in compiled_units(root, roots):
        out = f"{roots[0]}{WRAP_DIR}/pp/{len(units)}.i"
        cmd = shlex.join(views.preprocess_argv(argv, arg, out))
        lines.append(f"(cd {shlex.quote(directory)} && {cmd}) 2>/dev/null; echo $? > {shlex.quote(out)}.rc")
        units.append((rel, directory))
    found = Views()
    if units:
        script = f"#!/bin/sh\nmkdir -p {shlex.quote(roots[0] + WRAP_DIR + '/pp')}\n" + "\n".join(lines) + "\n"
        step = Step("preprocess", f"sh {WRAP_DIR}/pp.sh", cwd=tree, timeout=timeout, files={f"{WRAP_DIR}/pp.sh": script})
        sandbox.run(work, [step])
        pp = root / WRAP_DIR / "pp"
        codes, outputs = [], {}
        for i, (rel, directory) in enumerate(units):
            rc = (pp / f"{i}.i.rc").read_text().strip() if (pp / f"{i}.i.rc").is_file() else "127"
            outputs[rel] = (pp / f"{i}.i").read_text(errors="replace") if (pp / f"{i}.i").is_file() else ""
            codes.append((rel, directory, int(rc) if rc.isdigit() else 127))

        def local_path(path: str) -> str | None:
            p = here(path)
            return None if p is None else str(p)

        found = views.build(root, codes, outputs, local_path)
    found.save(work / "views")
    return found


def vector_report(sandbox, work: Path, tree: str, built_with: str = "", timed_with: str = "",
                  timeout: float = 600.0) -> dict[str, dict[int, str]]:
    """Compile each source the build of work/tree compiled once more, with its logged command and the compiler's
    vectorization report on (tools/loops/vectorizer.py), writing nothing; save {file: {line: state}} beside the views
    for the analysis' `omp simd` candidates. built_with: the flags that build appended to every compile (the
    profile's -O2 -g ...), replaced by timed_with (the timed builds' -O3 ...), so the report is that of the code
    that is timed. A compiler whose report cannot be read, or a compile that fails, leaves its files out: they get
    no such candidate."""
    from hpcagent.sandbox.wrappers import WRAP_DIR
    from hpcagent.tools.loops import vectorizer

    root = work / tree
    roots = prefixes(sandbox, work, tree)
    lines = []
    for _rel, directory, argv, arg in compiled_units(root, roots):
        cmd = vectorizer.report_argv(as_timed(argv, built_with, timed_with), arg)
        if cmd is None:
            continue
        # only the loop-level verdicts: gcc's notes on a large file run to megabytes
        lines.append(f"echo {shlex.quote('@dir ' + directory)}; (cd {shlex.quote(directory)} && "
                     f"{shlex.join(cmd)}) 2>&1 | grep -E {shlex.quote(vectorizer.VERDICT_LINES)}")
    found: dict[str, dict[int, str]] = {}
    if lines:
        script = "#!/bin/sh\n" + "\n".join(lines) + "\ntrue\n"
        step = Step("vector-report", f"sh {WRAP_DIR}/vec.sh", cwd=tree, timeout=timeout,
                    files={f"{WRAP_DIR}/vec.sh": script})
        result = sandbox.run(work, [step])[0]
        directory = ""
        chunks: list[tuple[str, list[str]]] = []
        for text in result.stdout.splitlines():
            if text.startswith("@dir "):
                directory = text[5:]
                chunks.append((directory, []))
            elif chunks:
                chunks[-1][1].append(text)
        for directory, out in chunks:
            for path, states in vectorizer.parse_report("\n".join(out), directory).items():
                local = local_file(root, roots, path)
                if local is not None and local.is_file():
                    mine = found.setdefault(str(local.resolve().relative_to(root.resolve())), {})
                    for line, st in states.items():  # a header compiled twice: the higher rank tells
                        vectorizer.note(mine, line, st)
    hashes = {rel: views.digest((root / rel).read_bytes()) for rel in found}
    vectorizer.save(work / "views", found, hashes)
    return found


def as_timed(argv: list[str], built_with: str, timed_with: str) -> list[str]:
    """A logged compile with the flags its build appended (built_with, found at the end of argv, where the
    wrappers put them) replaced by timed_with; argv unchanged when they are not there."""
    tail, new = shlex.split(built_with), shlex.split(timed_with)
    for k in range(len(argv) - len(tail), 0, -1):  # the last occurrence (link flags may follow)
        if tail and argv[k:k + len(tail)] == tail:
            return [*argv[:k], *new, *argv[k + len(tail):]]
    return list(argv)


def local_file(root: Path, roots: tuple[str, ...], path: str) -> Path | None:
    """A path inside the sandbox's copy of the tree as a path under root (None when outside the tree)."""
    return next((root / path[len(r):] for r in roots[:1] if path.startswith(r)), None)


def compiled_units(root: Path, roots: tuple[str, ...]) -> list[tuple[str, str, list[str], str]]:
    """Each source of the tree the wrappers logged a compile of, once: (path relative to root, the compile's
    directory in the sandbox, its argv, the argument naming the source)."""
    from hpcagent.sandbox.wrappers import logged_compiles, sources_of

    out, seen = [], set()
    for directory, argv in logged_compiles(root):
        for arg in sources_of(argv):
            local = local_file(root, roots, os.path.normpath(os.path.join(directory, arg)))
            if local is None or not local.is_file():
                continue
            rel = str(local.resolve().relative_to(root.resolve()))
            if rel not in seen:
                seen.add(rel)
                out.append((rel, directory, argv, arg))
    return out
