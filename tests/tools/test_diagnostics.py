"""The diagnostics parser against golden gcc, clang, linker, make and CMake output (tests/data/diagnostics)."""

from __future__ import annotations

import pytest
from conftest import DATA

from hpcagent.tools.diagnostics import errors, parse_diagnostics

GOLDEN = DATA / "diagnostics"


def flat(name: str) -> list[tuple]:
    return [(d.file, d.line, d.column, d.severity, d.tool)
            for d in parse_diagnostics((GOLDEN / name).read_text())]


@pytest.mark.parametrize("name, expected", [
    ("syntax.gcc.txt", [("syntax.c", 5, 3, "error", "compiler"), ("syntax.c", 4, 7, "warning", "compiler")]),
    ("syntax.clang.txt", [("syntax.c", 4, 13, "error", "compiler")]),
    ("warnings.gcc.txt", [("warnings.c", 9, 12, "warning", "compiler"), ("warnings.c", 6, 7, "warning", "compiler"),
                          ("warnings.c", 3, 12, "warning", "compiler")]),
    ("warnings.clang.txt", [("warnings.c", 9, 18, "warning", "compiler"),
                            ("warnings.c", 6, 7, "warning", "compiler"),
                            ("warnings.c", 3, 12, "warning", "compiler")]),
    ("missing_header.gcc.txt", [("missing_header.c", 2, 10, "fatal", "compiler")]),
    ("missing_header.clang.txt", [("missing_header.c", 2, 10, "fatal", "compiler")]),
    ("include_chain.gcc.txt", [("chain.h", 1, 46, "error", "compiler")]),
    ("include_chain.clang.txt", [("chain.h", 1, 46, "error", "compiler")]),
    ("member.g++.txt", [("member.cpp", 16, 32, "note", "compiler"), ("member.cpp", 10, 21, "error", "compiler")]),
    ("member.clang++.txt", [("member.cpp", 10, 21, "error", "compiler"), ("member.cpp", 16, 27, "note", "compiler")]),
    ("undefined.gcc.txt", [("undefined.c", 6, 0, "error", "linker"), ("", 0, 0, "error", "linker")]),
    ("undefined.clang.txt", [("undefined.c", 6, 0, "error", "linker"), ("", 0, 0, "error", "driver")]),
    ("undefined_nodebug.gcc.txt", [("undefined.c", 0, 0, "error", "linker"), ("", 0, 0, "error", "linker")]),
    ("undefined_nodebug.clang.txt", [("undefined.c", 0, 0, "error", "linker"), ("", 0, 0, "error", "driver")]),
    ("driver.gcc.txt", [("", 0, 0, "fatal", "driver")]),
    ("driver.clang.txt", [("", 0, 0, "error", "driver"), ("", 0, 0, "error", "driver")]),
    ("make.gcc.txt", [("syntax.c", 5, 3, "error", "compiler"), ("Makefile", 5, 0, "error", "make")]),
    ("make.clang.txt", [("syntax.c", 4, 13, "error", "compiler"), ("Makefile", 5, 0, "error", "make")]),
    ("cmake_missing.txt", [("CMakeLists.txt", 3, 0, "error", "cmake"), ("CMakeLists.txt", 3, 0, "error", "cmake")]),
])
def test_golden_outputs(name, expected):
    assert flat(name) == expected


def test_messages_and_contexts():
    (err, warn) = parse_diagnostics((GOLDEN / "syntax.gcc.txt").read_text())
    assert err.message == "expected ',' or ';' before 'printf'"
    assert err.context == warn.context == "In function 'main'"
    assert warn.message == "unused variable 'n' [-Wunused-variable]"
    top = parse_diagnostics((GOLDEN / "warnings.gcc.txt").read_text())[-1]
    assert top.context == ""  # after gcc's "At top level:"
    (chained,) = parse_diagnostics((GOLDEN / "include_chain.gcc.txt").read_text())
    assert chained.context == "In file included from include_chain.c:2; In function 'twice'"


def test_linker_make_and_cmake_messages():
    ref = parse_diagnostics((GOLDEN / "undefined_nodebug.gcc.txt").read_text())[0]
    assert (ref.message, ref.context) == ("undefined reference to `kernel'", "in function `main'")
    make = parse_diagnostics((GOLDEN / "make.gcc.txt").read_text())[-1]
    assert make.message == "target 'prog' failed: Error 1"
    first, second = parse_diagnostics((GOLDEN / "cmake_missing.txt").read_text())
    assert first.message.startswith("add_executable: Cannot find source file: solver.c Tried extensions")
    assert second.message == "add_executable: No SOURCES given to target: demo"


def test_fatal_message_and_str():
    (d,) = parse_diagnostics((GOLDEN / "missing_header.clang.txt").read_text())
    assert d.message == "'no_such_header.h' file not found"
    assert str(d) == "missing_header.c:2:10: fatal: 'no_such_header.h' file not found"
    assert d.to_dict()["severity"] == "fatal"


def test_errors_filter_and_no_input():
    diags = parse_diagnostics((GOLDEN / "syntax.gcc.txt").read_text())
    assert [d.severity for d in errors(diags)] == ["error"]
    assert parse_diagnostics("") == []
    assert parse_diagnostics("-- Configuring done\n1 error generated.\ncompilation terminated.\n") == []


def test_root_prefixes_and_colour_codes():
    text = "\x1b[01m\x1b[K/src/proj/a.c:3:5:\x1b[m\x1b[K \x1b[01;31m\x1b[Kerror: \x1b[m\x1b[Kbad thing\n"
    (d,) = parse_diagnostics(text, root_prefixes=("/src/proj/",))
    assert (d.file, d.line, d.column, d.severity, d.message) == ("a.c", 3, 5, "error", "bad thing")
