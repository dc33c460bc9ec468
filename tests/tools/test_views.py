"""The sources as the compiler sees them (tools/loops/views.py): preprocessing with the recorded compile command,
line markers folded back onto the file's own lines, macro-written loops left alone. Real gcc on this machine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA

from hpcagent.errors import BadInput
from hpcagent.records import Edit, Proposal
from hpcagent.tools.loops import views
from hpcagent.tools.loops.analysis import _on_the_file, analyze_path
from hpcagent.tools.loops.cparse import parse_file

MACROS = DATA / "projects" / "macro_kernels"


@pytest.fixture
def kernels(tmp_path: Path) -> Path:
    repo = tmp_path / "macro_kernels"
    shutil.copytree(MACROS, repo)
    (repo / "compile_commands.json").write_text(json.dumps([{
        "directory": str(repo), "file": "kernels.c",
        "arguments": ["gcc", "-O2", "-DNX=800", "-DNY=700", "-MMD", "-MF", "kernels.d", "-o", "kernels",
                      "kernels.c", "helpers.o", "-lm"]}]))
    yield repo
    views.use({})


def by_line(result: dict) -> dict[int, dict]:
    return {lp["line"]: lp for lp in result["loops"] if lp["file"] == "kernels.c"}


def test_fold_puts_each_piece_on_the_line_it_came_from():
    text = ('# 1 "k.c"\n# 1 "<built-in>"\nint junk;\n# 1 "k.c"\nint a;\n\n# 1 "/usr/include/x.h" 1 3\nint x;\n'
            '# 4 "k.c" 2\nfor (i = 0; i < 800; i++)\n# 4 "k.c" 3 4\n  (__builtin_nan (""))\n# 4 "k.c"\n  ;\n')
    folded = views.fold(text, "/src")
    assert folded["/src/k.c"] == ["int a;", "", "", "for (i = 0; i < 800; i++)   (__builtin_nan (\"\"))   ;"]
    assert folded["/usr/include/x.h"] == ["int x;"] and not any("junk" in "".join(v) for v in folded.values())
    raw = b"int a;\n#include <x.h>\n#define N 800\nfor (i = 0; i < N; i++) NAN;\n"
    view = views.view_text(raw, folded["/src/k.c"])
    assert view.split(b"\n")[3].startswith(b"for (i = 0; i < 800; i++)") and view.count(b"\n") == raw.count(b"\n")
    assert views.view_text(b"one line\n", folded["/src/k.c"]) is None  # not this file's lines


def test_views_stay_on_the_file_lines_with_crlf_comments_and_continued_lines(tmp_path: Path):
    src = ("/**\r\n * a comment\r\n * over lines\r\n */\r\n#define TWICE(x) \\\r\n  (2 * (x))\r\n"
           "double v[100];\r\n\r\nvoid f(int n) {\n  /* one */ for (int i = 0; i < n; i++) /* two\r\n"
           "  lines */\r\n    v[i] = TWICE(v[i]);\r\n}\r\n")
    (tmp_path / "f.c").write_bytes(src.encode())
    entries = [{"directory": str(tmp_path), "file": "f.c", "arguments": ["gcc", "-c", "f.c"]}]
    found = views.from_compile_commands(tmp_path, entries)
    view = found.views["f.c"].decode().split("\n")
    raw = src.split("\n")
    assert len(view) == len(raw)
    assert view[9].strip().startswith("for (int i = 0; i < n; i++)") and "(2 * (v[i]))" in view[11]
    assert all(not v.strip() or r.strip() for r, v in zip(raw, view))
    folded = views.fold('# 1 "f.c"\nint a;\nint b;\n', str(tmp_path))[str(tmp_path / "f.c")]
    assert views.view_text(b"int a;\n\nint b;\n", folded) is None  # text on an empty line: drifted


def test_the_preprocessing_command_keeps_the_defines_and_drops_outputs_links_and_other_sources():
    argv = ["gcc", "-O2", "-DN=8", "-Iinc", "-MMD", "-MF", "a.d", "-c", "-o", "a.o", "a.c", "b.c", "x.o", "-lm",
            "-Wl,-rpath,/x"]
    assert views.preprocess_argv(argv, "a.c", "out.i") == ["gcc", "-O2", "-DN=8", "-Iinc", "a.c", "-E", "-o", "out.i"]
    assert views.source_argument(argv, "/p", "/p/b.c") == "b.c" and views.source_argument(argv, "/p", "c.c") is None


def test_macros_casts_and_ifdefs_no_longer_stop_the_analysis(kernels: Path):
    raw = by_line(analyze_path(kernels))
    assert {raw[n]["verdict"] for n in (14, 19, 27, 40)} == {"unknown"}
    assert "(REAL)" in raw[14]["reason"] and "LIT" in raw[27]["reason"] and "DOT3" in raw[40]["reason"]
    assert 55 in raw  # the VERBOSE loop, which this build does not compile

    result = analyze_path(kernels, kernels / "compile_commands.json")
    seen = by_line(result)
    assert result["views"] == {"preprocessed": ["kernels.c"], "raw": {}}  # the header holds no code
    # the loops the compiler sees, each on its own line of the file: no verdict is unknown any more
    assert {n: seen[n]["verdict"] for n in (14, 19, 27, 30, 40)} == dict.fromkeys((14, 19, 27, 30, 40), "parallel")
    assert seen[14]["pragma"] == "#pragma omp parallel for private(j)"
    assert seen[52]["pragma"] == "#pragma omp parallel for reduction(+:sum)"
    assert not [lp for lp in result["loops"] if lp["verdict"] == "unknown"], result["loops"]
    # the inactive #ifdef VERBOSE block is not code of this build; CLEAR's loop is written in the macro: not edited
    assert 55 not in seen
    assert seen[39]["pragma"] is None and "inside a macro" in seen[39]["reason"]
    assert views.generation() == ()  # nothing stays registered after the call


def test_an_edited_copy_reads_as_written_and_a_rewrite_of_expanded_lines_is_dropped(kernels: Path):
    found = views.from_compile_commands(kernels, json.loads((kernels / "compile_commands.json").read_text()))
    found.register()
    src = parse_file(kernels / "kernels.c")
    assert src.raw is not None and b"LIT(" not in src.text and b"LIT(" in src.raw
    (kernels / "kernels.c").write_text((kernels / "kernels.c").read_text() + "\n")
    assert parse_file(kernels / "kernels.c").raw is None  # other bytes: no view
    pragma = [Edit("kernels.c", 27, 26, "#pragma omp parallel for\n")]
    rewrite = [Edit("kernels.c", 27, 29, "rewritten\n")]  # line 29 expands LIT(0.2)
    plain = [Edit("kernels.c", 24, 25, "rewritten\n")]  # no macro on lines 24-25
    into_macro = [Edit("kernels.c", 39, 38, "#pragma omp parallel for\n")]
    assert [_on_the_file(src, Proposal("kernels.c", 27, 29, edits=e)) for e in (pragma, rewrite, plain, into_macro)] \
        == [True, False, True, False]


def test_units_without_a_command_or_failing_to_preprocess_are_read_as_written_and_said_so(kernels: Path, tmp_path):
    (kernels / "extra.c").write_text("int f(int n) { int s = 0; for (int i = 0; i < n; i++) s += i; return s; }\n")
    entries = [{"directory": str(kernels), "file": "kernels.c", "arguments": ["gcc", "-include", "missing.h", "kernels.c"]}]
    found = views.from_compile_commands(kernels, entries, [kernels / "kernels.c", kernels / "extra.c"])
    assert found.views == {} and found.raw["kernels.c"] == "its preprocessing failed (exit 1)"
    assert found.raw["extra.c"] == "no compile command"
    bad = tmp_path / "cc.json"
    bad.write_text('{"not": "a list"}')
    with pytest.raises(BadInput, match="not a list of compile commands"):
        analyze_path(kernels, bad)


def test_the_cli_picks_up_compile_commands_json_and_says_what_it_read(kernels: Path):
    from typer.testing import CliRunner

    from hpcagent.agent.cli.main import app

    out = CliRunner().invoke(app, ["analyze", str(kernels)])
    assert out.exit_code == 0, out.output
    assert "read as the compiler sees them (preprocessed with their compile commands): kernels.c" in out.output
    assert "kernels.c:14  init      1  parallel" in out.output
    out = CliRunner().invoke(app, ["analyze", "--raw", str(kernels)])
    assert "kernels.c:14  init      1  unknown" in out.output and "preprocessed" not in out.output
