"""Line coverage of a run: which source lines the race-check input executes (clang source-based coverage).

A race check is evidence only about the code its run executed: a changed loop the race input never enters was not
checked at all. The original is built once with coverage and run on the race input; each change's loops are then
looked up in what that run executed.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from hpcagent.sandbox.build import BuildSpec, toolchain
from hpcagent.sandbox.racecheck import prefixes
from hpcagent.sandbox.steps import Step

PROFILE = "hpcagent-%p.profraw"


def line_coverage(sandbox, workdir: Path, spec: BuildSpec, run_cmd: str, find_binary, *, cwd: str,
                  build_timeout: float = 600, run_timeout: float = 300) -> dict[str, list[int]] | str:
    """Build workdir/cwd with coverage, run run_cmd once at 1 thread, and return file -> the lines it executed
    (files relative to the tree); a string saying why when there is no coverage. find_binary(tree, command) names
    the program the command runs."""
    steps = spec.steps(toolchain("coverage"), "coverage", timeout=build_timeout, cwd=cwd)
    # an absolute path: a run command that changes directory (`cd run && ../app`) still writes where the merge looks
    at = prefixes(sandbox, workdir, cwd)[0].rstrip("/")
    steps.append(Step("coverage-run", run_cmd, env={"OMP_NUM_THREADS": "1", "LLVM_PROFILE_FILE": f"{at}/{PROFILE}"},
                      cwd=cwd, timeout=run_timeout))
    steps.append(Step("coverage-merge", "llvm-profdata-16 merge -sparse hpcagent-*.profraw -o hpcagent.profdata",
                      cwd=cwd, timeout=120))
    why = failure(sandbox.run(Path(workdir), steps), len(steps))
    binary = find_binary(Path(workdir) / cwd, run_cmd)
    if why or binary is None:
        return why or f"no program found for `{run_cmd}`"
    export = Step("coverage-export", "llvm-cov-16 export -format=lcov -instr-profile=hpcagent.profdata "
                  f"{shlex.quote(str(binary.relative_to(Path(workdir) / cwd)))}", cwd=cwd, timeout=120)
    results = sandbox.run(Path(workdir), [export])
    why = failure(results, 1)
    return why or parse_lcov(results[0].stdout, prefixes(sandbox, workdir, cwd))


def failure(results: list, expected: int) -> str:
    """Why a list of step results falls short ('' when every step ran and succeeded)."""
    bad = next((r for r in results if not r.ok), None)
    if bad is not None:
        return f"{bad.name} failed: {bad.reason or 'exit ' + str(bad.exit_code)}"
    return "" if len(results) == expected else "a step did not run"


def parse_lcov(text: str, root_prefixes: tuple[str, ...]) -> dict[str, list[int]]:
    """file -> lines with a non-zero count, from lcov records (SF: starts a file, DA:line,count a line)."""
    out: dict[str, list[int]] = {}
    current: list[int] | None = None
    for line in text.splitlines():
        if line.startswith("SF:"):
            path = line[3:]
            for prefix in root_prefixes:
                if path.startswith(prefix):
                    path = path[len(prefix):]
                    break
            current = out.setdefault(path, [])
        elif line.startswith("DA:") and current is not None:
            number, _, count = line[3:].partition(",")
            if count.split(",")[0].strip() not in ("0", ""):
                current.append(int(number))
    return {f: sorted(set(lines)) for f, lines in out.items()}


def entered(executed: dict[str, list[int]], file: str, line: int, end_line: int) -> bool:
    """The loop at file:line..end_line ran at least one iteration (a line of its body executed)."""
    return any(line < n <= end_line for n in executed.get(file, []))
