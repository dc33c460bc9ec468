"""Turn gcc, clang, linker, make and CMake output into diagnostic records the critic can cite."""

from __future__ import annotations

import re

from hpcagent.evidence import Diagnostic

_ANSI = re.compile(r"\x1b\[[0-9;]*[mK]")
_COMPILER = re.compile(
    r"^(?P<file>[^\s:][^:]*?):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<sev>fatal error|error|warning|note): "
    r"(?P<msg>.*)$")
# g++ template backtraces: "file:16:32:   required from here"
_REQUIRED = re.compile(r"^(?P<file>[^\s:][^:]*?):(?P<line>\d+):(?:(?P<col>\d+):)?\s+(?P<msg>required .*)$")
_CONTEXT = re.compile(r"^(?P<file>[^\s:][^:]*?): (?P<ctx>In .*|At top level):$")
_INCLUDED = re.compile(r"^(?:In file included|\s+) from (?P<file>[^:]+):(?P<line>\d+)[:,]?$")
_LINKER_REF = re.compile(
    r"^(?P<file>[^\s:][^:]*?):(?:(?P<line>\d+):|\((?P<section>[^)]*)\):) "
    r"(?P<msg>(?:undefined reference to|multiple definition of) .*)$")
_LINKER = re.compile(r"^(?:\S*/)?ld(?:\.\w+)?: (?P<msg>.*)$")
_DRIVER = re.compile(
    r"^(?P<tool>(?:\S*/)?(?:gcc|g\+\+|cc|c\+\+|clang(?:\+\+)?(?:-\d+)?|collect2|cc1\w*|lto-wrapper)): "
    r"(?P<sev>fatal error|error|warning): (?P<msg>.*)$")
_MAKE = re.compile(r"^(?:g?make)(?:\[\d+\])?: \*\*\* (?P<rest>.*)$")
_MAKE_TARGET = re.compile(r"^\[(?:(?P<file>[^:\]]+):(?P<line>\d+): )?(?P<target>[^\]]+)\] (?P<what>Error \d+.*)$")
_CMAKE = re.compile(r"^CMake (?P<sev>Error|Warning)(?: \(dev\))?(?: at (?P<file>[^:]+):(?P<line>\d+)"
                    r"(?: \((?P<cmd>[^)]*)\))?)?:\s*(?P<msg>.*)$")


def _strip(path: str, root_prefixes: tuple[str, ...]) -> str:
    for prefix in root_prefixes:
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def _severity(word: str) -> str:
    word = word.lower()
    return "fatal" if word == "fatal error" else word


def parse_diagnostics(text: str, *, root_prefixes: tuple[str, ...] = ("/w/",)) -> list[Diagnostic]:
    """Parse build output into diagnostics, in the order the tools printed them."""
    out: list[Diagnostic] = []
    context, context_file, link_context = "", "", ""
    includes: list[str] = []
    lines = _ANSI.sub("", text).splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        i += 1
        if m := _CONTEXT.match(line):
            context = "" if m.group("ctx") == "At top level" else m.group("ctx")
            context_file = m.group("file")
        elif m := _INCLUDED.match(line):
            includes.append(f"{_strip(m.group('file'), root_prefixes)}:{m.group('line')}")
        elif m := _LINKER_REF.match(line):
            out.append(Diagnostic(_strip(m.group("file"), root_prefixes), int(m.group("line") or 0), 0, "error",
                                  m.group("msg"), link_context, "linker"))
        elif m := _COMPILER.match(line):
            # gcc names the function once per file and function; it does not apply to other files.
            where = context if m.group("file") == context_file else ""
            if includes:  # the include chain belongs to this diagnostic only
                chain = "In file included from " + ", from ".join(includes)
                where = f"{chain}; {where}" if where else chain
                includes = []
            out.append(Diagnostic(_strip(m.group("file"), root_prefixes), int(m.group("line")),
                                  int(m.group("col") or 0), _severity(m.group("sev")), m.group("msg"), where))
        elif m := _REQUIRED.match(line):
            out.append(Diagnostic(_strip(m.group("file"), root_prefixes), int(m.group("line")),
                                  int(m.group("col") or 0), "note", m.group("msg"),
                                  context if m.group("file") == context_file else ""))
        elif m := _LINKER.match(line):
            msg = m.group("msg")
            if (ref := re.match(r"^(?P<obj>.*): in function [`'](?P<fn>[^'`]*)'?:$", msg)):
                link_context = f"in function `{ref.group('fn')}'"
            else:
                out.append(Diagnostic("", 0, 0, "error", msg, "", "linker"))
        elif m := _DRIVER.match(line):
            out.append(Diagnostic("", 0, 0, _severity(m.group("sev")), m.group("msg"), "",
                                  "linker" if m.group("tool").endswith("collect2") else "driver"))
        elif m := _MAKE.match(line):
            rest = m.group("rest")
            t = _MAKE_TARGET.match(rest)
            if t:
                out.append(Diagnostic(t.group("file") or "", int(t.group("line") or 0), 0, "error",
                                      f"target '{t.group('target')}' failed: {t.group('what')}", "", "make"))
            else:
                out.append(Diagnostic("", 0, 0, "error", rest, "", "make"))
        elif m := _CMAKE.match(line):
            # CMake indents the message body under the heading; blank lines separate its paragraphs.
            body = [m.group("msg")] if m.group("msg") else []
            while i < len(lines) and (lines[i].startswith(" ") or not lines[i].strip()):
                if lines[i].strip():
                    body.append(lines[i].strip())
                i += 1
            cmd = m.group("cmd")
            message = " ".join(body)
            out.append(Diagnostic(_strip(m.group("file") or "", root_prefixes), int(m.group("line") or 0), 0,
                                  m.group("sev").lower(), f"{cmd}: {message}" if cmd else message, "", "cmake"))
    return out


def errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Return the errors and fatal errors only."""
    return [d for d in diagnostics if d.is_error]
