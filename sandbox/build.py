"""Build variants (race, release, serial, profile) for single files and make, CMake or command projects."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from hpcagent.errors import BadInput
from hpcagent.evidence import Build
from hpcagent.sandbox import wrappers
from hpcagent.sandbox.steps import Step, StepResult
from hpcagent.tools.sources import COMPILED, CXX_SOURCES, PARSED

LLVM = "/usr/lib/llvm-16"
# Run-time environment of a race-check run: Archer makes TSan understand OpenMP's synchronisation, and the
# symbolizer turns frames into file:line:col.
RACE_ENV = {
    "OMP_TOOL_LIBRARIES": f"{LLVM}/lib/libarcher.so",
    "TSAN_OPTIONS": f"ignore_noninstrumented_modules=1 external_symbolizer_path={LLVM}/bin/llvm-symbolizer "
                    "exitcode=66 history_size=4",
    "ARCHER_OPTIONS": "verbose=0",
}
TSAN_EXIT = 66


@dataclass(frozen=True)
class Toolchain:
    """A variant's compilers and flags, added to every compile and link of a build by the compiler wrappers
    (sandbox/wrappers.py): the project's own flags are kept, ours come after them."""

    cc: str
    cxx: str
    cflags: str
    ldflags: str = ""
    libs: str = "-lm"

    def env(self) -> dict[str, str]:
        """The environment of a build (or test) command: the wrappers' settings, CC/CXX naming the wrappers."""
        return wrappers.env(self.cc, self.cxx, self.cflags, self.ldflags)


# What gcc 12 only warns about and clang 16 refuses by default (old C: calls of undeclared functions, implicit
# int): kept as warnings in the clang builds, so a project gcc builds builds for the race check too.
AS_GCC = ("-Wno-error=implicit-function-declaration -Wno-error=implicit-int -Wno-error=int-conversion "
          "-Wno-error=incompatible-function-pointer-types")
KEEP_LOOPS = "-fno-tree-loop-distribute-patterns"
"""gcc only: loops are not turned into library calls."""
VARIANTS = {
    "race": Toolchain("clang-16", "clang++-16", f"-O1 -g -fopenmp -fsanitize=thread {AS_GCC}",
                      "-fopenmp -fsanitize=thread"),
    "release": Toolchain("gcc", "g++", "-O3 -fopenmp", "-fopenmp"),
    "serial": Toolchain("gcc", "g++", "-O3"),
    # -fno-tree-loop-distribute-patterns: a copy or zeroing loop stays a loop, not a memcpy/memset call whose
    # samples (in the library, no frame pointer) name no line of the loop
    "profile": Toolchain("gcc", "g++", f"-O2 -g -fno-omit-frame-pointer {KEEP_LOOPS} -fopenmp", "-fopenmp"),
    "coverage": Toolchain("clang-16", "clang++-16",
                          f"-O0 -g -fopenmp -fprofile-instr-generate -fcoverage-mapping {AS_GCC}",
                          "-fopenmp -fprofile-instr-generate"),
}


def toolchain(variant: str, cc: str | None = None, cxx: str | None = None, cflags: str | None = None) -> Toolchain:
    """Return a variant's toolchain with the user's compiler/flags overrides (race keeps TSan whatever)."""
    tc = VARIANTS[variant]
    if variant in ("race", "coverage"):
        return tc
    if cc and not cxx:
        cxx = cxx_for(cc)
    flags = cflags or tc.cflags
    if cc and "gcc" not in Path(cc).name and KEEP_LOOPS in flags:
        flags = " ".join(flags.replace(KEEP_LOOPS, "").split())  # another compiler may not know the gcc flag
    return replace(tc, cc=cc or tc.cc, cxx=cxx or tc.cxx, cflags=flags)


def cxx_for(cc: str) -> str:
    """Guess the C++ driver that goes with a C compiler (gcc-12 -> g++-12, clang-16 -> clang++-16, icx -> icpx)."""
    name = Path(cc).name
    for c, cxx in (("gcc", "g++"), ("clang", "clang++"), ("icx", "icpx"), ("icc", "icpc"), ("cc", "c++")):
        if name.startswith(c) or name.endswith(c):
            return cc[: len(cc) - len(name)] + name.replace(c, cxx, 1)
    return cc


@dataclass
class BuildSpec:
    """How a project builds: one source file, make, CMake, or an arbitrary command."""

    kind: Literal["file", "make", "cmake", "command"]
    source: str = ""
    """kind=file: the source file (relative to the work dir)."""
    command: str = ""
    """kind=command: the build command; kind=make: extra make arguments (e.g. a target)."""
    binary: str = "./prog"
    """kind=file: the program built."""

    @staticmethod
    def detect(path: Path, command: str | None = None) -> BuildSpec:
        """Work out how to build a file or directory (an explicit command wins)."""
        path = Path(path)
        if command:
            first = command.strip().split()[0]
            if first == "cmake" and command.strip() == "cmake":
                return BuildSpec("cmake")
            return BuildSpec("make", command=command.strip()[4:].strip()) if first == "make" \
                else BuildSpec("command", command=command)
        if path.is_file():
            if path.suffix not in COMPILED:
                raise BadInput(f"{path} is not a C or C++ source file", "give a .c/.cpp file or a project directory")
            return BuildSpec("file", source=path.name, binary="./" + path.stem)
        if not path.is_dir():
            raise BadInput(f"{path} does not exist", "give a C/C++ file or a project directory")
        if any((path / n).exists() for n in ("Makefile", "makefile", "GNUmakefile")):
            return BuildSpec("make")
        if (path / "CMakeLists.txt").exists():
            return BuildSpec("cmake")
        sources = [p for p in path.iterdir() if p.suffix in COMPILED]
        if len(sources) == 1:
            return BuildSpec("file", source=sources[0].name, binary="./" + sources[0].stem)
        raise BadInput(f"{path} has no Makefile or CMakeLists.txt and not exactly one source file",
                       'say how to build it with --build "CMD" (CC/CFLAGS/... are set for the command)')

    def steps(self, tc: Toolchain, variant: str, timeout: float = 600.0, cwd: str = ".") -> list[Step]:
        """Return the build steps for this variant. The compiler wrappers go first on PATH, so whatever compiler
        the project names (`CC = gcc` in a Makefile, `g++` on a link line) gets the variant's compiler and flags
        after its own; nothing of the project's is overridden."""
        q = shlex.quote
        if self.kind == "file":
            cc = "c++" if Path(self.source).suffix in CXX_SOURCES else "cc"
            cmd = f"{cc} {q(self.source)} -o {q(self.binary)} {tc.libs}"
        elif self.kind == "make":
            # a scratch copy may hold the user's own objects, which must not pass for ours: everything but the
            # sources is dated back to 1970 first, so make remakes every target it can. (Not `make -B`: its flag
            # reaches submakes, and a Makefile that remakes an included .depend through `$(MAKE) depend`, as
            # CoMD's does, then recurses until the build times out.)
            # A target without prerequisites (`3D:` with its recipe compiling 3D.c) is never remade while it exists,
            # however old: when make compiled nothing, it runs again with -B.
            args = f" {self.command}" if self.command else ""
            cmd = f"{AGE_PRODUCTS}; make{args} && {{ ls \"$HPCAGENT_CC_LOG\"/cmd.* >/dev/null 2>&1 || make -B{args}; }}"
        elif self.kind == "cmake":
            bdir = f"build-hpcagent-{variant}"
            cmd = (f"cmake -S . -B {bdir} -DCMAKE_BUILD_TYPE=None -DCMAKE_C_COMPILER=cc -DCMAKE_CXX_COMPILER=c++ "
                   f"-DCMAKE_EXPORT_COMPILE_COMMANDS=ON && cmake --build {bdir} -j2")
        else:
            cmd = self.command
        return [Step(f"build-{variant}", wrappers.wrapped(cmd), env=tc.env(), cwd=cwd, timeout=timeout,
                     stop_on_failure=True, files=wrappers.files())]


_KEPT = sorted(PARSED | {".inc", ".ipp", ".tcc", ".def"})
AGE_PRODUCTS = ("find . -type f ! -path './.hpcagent-cc/*' " + "".join(f"! -name '*{x}' " for x in _KEPT)
                + "-exec touch -h -d @0 {} +")
"""The shell command that dates every file of a tree but its C/C++ sources and headers back to the epoch."""


def build_record(result: StepResult, root_prefixes: tuple[str, ...], tree: Path | None = None) -> Build:
    """Turn a build step's result into a Build record (diagnostics parsed, the log's tail kept, and, given the
    tree that was built, the flags the compiler wrappers dropped)."""
    from hpcagent.tools.diagnostics import parse_diagnostics

    log = (result.stdout + "\n" + result.stderr).strip()
    dropped, ignored = wrappers.dropped_flags(tree) if tree is not None else ([], [])
    return Build(ok=result.ok, diagnostics=parse_diagnostics(log, root_prefixes=root_prefixes), log=log[-8000:],
                 seconds=round(result.seconds, 3), dropped=dropped, ignored=ignored,
                 reason=result.reason or ("" if result.ok else f"build exited with {result.exit_code}"))
