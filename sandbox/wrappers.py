"""Compiler wrappers: the usual compiler names shadowed on PATH inside a build, so a variant's flags reach every
compile and link whatever a Makefile hard-codes (Spack's wrappers and Bear are the models).

Each wrapper runs the variant's compiler (C or C++ by the name it was called under) with the project's own
arguments followed by the variant's flags (link flags only when it links), so the project's defines, include paths
and libraries are kept and ours come last. When the compiler stops on a flag it does not know (a gcc-only flag
under clang), the wrapper drops that flag and compiles again; every compile is logged, and the log becomes
`compile_commands.json` and the list of dropped flags the build record reports.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from hpcagent.tools.sources import COMPILED

WRAP_DIR = ".hpcagent-cc"
VERSIONS = [f"-{v}" for v in range(9, 19)]
C_NAMES = ("cc", "gcc", "clang", "icc", "icx", *(f"gcc{v}" for v in VERSIONS), *(f"clang{v}" for v in VERSIONS))
CXX_NAMES = ("c++", "g++", "clang++", "icpc", "icpx", "CC", *(f"g++{v}" for v in VERSIONS),
             *(f"clang++{v}" for v in VERSIONS))

# Messages of clang and gcc that name a flag they refuse (gcc quotes with ‘’ in a UTF-8 locale).
SCRIPT = r"""#!/bin/sh
# hpcagent compiler wrapper (written into a scratch copy of the project; never into the user's tree)
case ${0##*/} in
  *++*|CC|icpc|icpx) real=$HPCAGENT_CXX ;;
  *) real=$HPCAGENT_CC ;;
esac
PATH=$HPCAGENT_PATH; export PATH
log=${HPCAGENT_CC_LOG:-/tmp}
mkdir -p "$log" 2>/dev/null
link=1; src=0
for a do
  case $a in
    -c|-S|-E|-M|-MM) link=0 ;;
    -*) ;;
    *.c|*.cc|*.cpp|*.cxx|*.C|*.c++|*.cp|*.CPP) src=1 ;;
  esac
done
extra=$HPCAGENT_CFLAGS
[ $link = 1 ] && extra="$extra $HPCAGENT_LDFLAGS"
err=$log/err.$$
tries=0
while :; do
  "$real" "$@" $extra 2>"$err"
  rc=$?
  [ $rc = 0 ] && break
  bad=$(sed -n -e "s/.*unknown argument:\{0,1\} '\([^']*\)'.*/\1/p" \
               -e "s/.*unsupported option '\([^']*\)'.*/\1/p" \
               -e "s/.*unrecognized command[- ]line option ['‘]\([^'’]*\)['’].*/\1/p" "$err" | sort -u)
  [ -n "$bad" ] && [ $tries -lt 3 ] || break
  tries=$((tries + 1))
  found=0
  for a do
    shift
    case "
$bad
" in
      *"
$a
"*) printf '%s\n' "$a" >>"$log/dropped"; found=1; continue ;;
    esac
    set -- "$@" "$a"
  done
  [ $found = 1 ] || break
done
sed -n -e "s/.*optimization flag '\([^']*\)' is not supported.*/\1/p" "$err" >>"$log/ignored"
cat "$err" >&2
rm -f "$err"
if [ $src = 1 ]; then
  rec=$log/cmd.$$.$(date +%s%N)
  { printf '%s\n' "$PWD" "$real"; printf '%s\n' "$@" $extra; } >"$rec"
fi
exit $rc
"""

# Run before a build command: the wrappers first on PATH, CC/CXX naming them (for Makefiles that say `CC ?=`, and
# CMake), the PATH without them kept for the wrappers' own use.
PREFIX = (f'HPCAGENT_PATH=$PATH; PATH="$PWD/{WRAP_DIR}:$PATH"; HPCAGENT_CC_LOG="$PWD/{WRAP_DIR}/log"; '
          'export PATH HPCAGENT_PATH HPCAGENT_CC_LOG; rm -rf "$HPCAGENT_CC_LOG"; ')


def files() -> dict[str, str]:
    """The wrapper files a build step needs in its directory: one script, under every name it shadows."""
    return {f"{WRAP_DIR}/{name}": SCRIPT for name in C_NAMES + CXX_NAMES}


def env(cc: str, cxx: str, cflags: str, ldflags: str) -> dict[str, str]:
    """The wrappers' settings for one variant, and CC/CXX naming them."""
    return {"HPCAGENT_CC": cc, "HPCAGENT_CXX": cxx, "HPCAGENT_CFLAGS": cflags, "HPCAGENT_LDFLAGS": ldflags,
            "CC": "cc", "CXX": "c++"}


def wrapped(cmd: str) -> str:
    """A build command run with the wrappers in front."""
    return PREFIX + cmd


def _lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text(errors="replace").splitlines() if ln] if path.is_file() else []


def dropped_flags(tree: Path) -> tuple[list[str], list[str]]:
    """(flags the compiler refused and the wrappers dropped, flags it accepted but ignores), each once."""
    log = Path(tree) / WRAP_DIR / "log"
    return list(dict.fromkeys(_lines(log / "dropped"))), list(dict.fromkeys(_lines(log / "ignored")))


def logged_compiles(tree: Path) -> list[tuple[str, list[str]]]:
    """The compiles the wrappers logged in a tree, as the compiler saw them: (directory inside the sandbox, argv
    with the real compiler first)."""
    log = Path(tree) / WRAP_DIR / "log"
    out = []
    for rec in sorted(log.glob("cmd.*")) if log.is_dir() else []:
        lines = rec.read_text(errors="replace").splitlines()
        if len(lines) >= 2:
            out.append((lines[0], lines[1:]))
    return out


def sources_of(argv: list[str]) -> list[str]:
    """The arguments of a compile command that name C/C++ translation units."""
    after_o = {i + 1 for i, a in enumerate(argv) if a == "-o"}
    return [a for i, a in enumerate(argv) if i and i not in after_o and not a.startswith("-")
            and Path(a).suffix in COMPILED]


def compile_commands(tree: Path, root_prefixes: tuple[str, ...] = ()) -> list[dict]:
    """The compiles the wrappers logged, as compile_commands.json entries with paths on this side of the sandbox
    (`directory` and `file` under `tree`; root_prefixes are the tree's path inside the sandbox)."""
    tree = Path(tree).resolve()

    def here(path: str) -> str:
        for prefix in root_prefixes:
            if (path + "/").startswith(prefix):
                return str(tree / path[len(prefix):])
        return path

    entries = []
    for directory, argv in logged_compiles(tree):
        directory = here(directory)
        for arg in sources_of(argv):
            file = str(Path(directory, arg)) if not Path(arg).is_absolute() else here(arg)
            entries.append({"directory": directory, "arguments": argv, "file": file, "command": shlex.join(argv)})
    return entries


def write_compile_commands(tree: Path, root_prefixes: tuple[str, ...] = ()) -> Path | None:
    """Write tree/compile_commands.json from the wrappers' log (None when nothing was compiled)."""
    entries = compile_commands(tree, root_prefixes)
    if not entries:
        return None
    out = Path(tree) / "compile_commands.json"
    out.write_text(json.dumps(entries, indent=1) + "\n")
    return out
