"""Which files count as C/C++: the suffix table and the two skip rules of tools.sources."""

from pathlib import Path

from hpcagent.tools.sources import COMPILED, PARSED, build_output, lang_for, source_files


def tree(root: Path, names: list[str]) -> Path:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("int x;\n")
    return root


def names(root: Path, files: list[Path]) -> list[str]:
    return [p.relative_to(root).as_posix() for p in files]


def test_headers_and_cuda_are_parsed_not_compiled():
    assert {".h", ".hpp", ".cu"} <= PARSED and not {".h", ".hpp", ".cu"} & COMPILED
    assert COMPILED < PARSED
    assert [lang_for(Path(n)) for n in ("a.c", "a.h", "a.H", "a.C", "a.cu", "a.hpp", "a.txt")] == \
        ["c", "c", "c", "cpp", "cpp", "cpp", None]


def test_analysis_listing_takes_headers_and_skips_hidden_paths(tmp_path):
    root = tree(tmp_path, ["main.c", "k.h", "x.cpp", ".hidden.c", ".github/a.c", "build/gen.c", "notes.txt"])
    assert names(root, source_files(root)) == ["build/gen.c", "k.h", "main.c", "x.cpp"]
    assert source_files(root / "k.h") == [root / "k.h"]
    assert source_files(root / "notes.txt") == []


def test_optimizer_listing_takes_translation_units_and_skips_build_output(tmp_path):
    root = tree(tmp_path, ["main.c", "k.h", "x.cpp", ".hidden.c", ".github/a.c", ".git/b.c", "build/gen.c",
                           "CMakeFiles/id.c", "build-hpcagent-race.c", "sub/util.c"])
    files = source_files(root, COMPILED, skip=build_output)
    assert names(root, files) == [".github/a.c", ".hidden.c", "main.c", "sub/util.c", "x.cpp"]
    chosen = source_files(root, COMPILED, skip=build_output, include=["*.c", "build/*.c"], exclude=["main.c"])
    assert names(root, chosen) == [".hidden.c", "build/gen.c", "build-hpcagent-race.c"]
