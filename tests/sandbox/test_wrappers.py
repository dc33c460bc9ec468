"""Compiler wrappers on real builds: a Makefile that hard-codes its compiler, a define inside CXX, its own link
line and a gcc-only flag still gets the race build's compiler and flags on every compile and link."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import DATA

from hpcagent.sandbox.backends import copy_tree, scratch_dir
from hpcagent.sandbox.build import BuildSpec, toolchain
from hpcagent.sandbox.racecheck import prefixes, race_check
from hpcagent.sandbox.steps import Step
from hpcagent.sandbox.wrappers import compile_commands, write_compile_commands

GRID = DATA / "projects" / "cxx_grid"


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def any_sandbox(request):
    return request.getfixturevalue(f"{request.param}_sandbox")


def test_hard_coded_makefile_gets_the_race_build_and_keeps_its_define(any_sandbox, digest):
    local_sandbox = any_sandbox
    before = digest(GRID)
    work = scratch_dir()
    copy_tree(GRID, work / "t")
    out = race_check(local_sandbox, work, BuildSpec.detect(work / "t"), "./grid 40 3", threads=(2,), cwd="t")
    assert out.build.ok, out.build.log
    assert out.build.dropped == ["-fipa-pta"]  # clang: unknown argument; dropped, compiled again, and listed
    assert out.ran and out.clean, out.runs
    assert "(mpi 0)" in out.runs[0].stdout_tail  # -DUSE_MPI=0 rode in the Makefile's CXX and was kept
    assert b"__tsan_init" in (work / "t" / "grid").read_bytes()  # the link line got -fsanitize=thread too
    entries = compile_commands(work / "t", prefixes(local_sandbox, work, "t")[:1])
    assert sorted(e["file"].rsplit("/", 1)[1] for e in entries) == ["grid.cc", "main.cc"]
    for e in entries:
        assert e["arguments"][0] == "clang++-16" and "-DUSE_MPI=0" in e["arguments"]
        assert "-fsanitize=thread" in e["arguments"] and "-fipa-pta" not in e["arguments"]
        assert e["directory"] == str((work / "t").resolve())
    path = write_compile_commands(work / "t", prefixes(local_sandbox, work, "t")[:1])
    assert json.loads(path.read_text()) == entries
    assert digest(GRID) == before
    shutil.rmtree(work, ignore_errors=True)


def test_release_build_adds_flags_after_the_projects(local_sandbox):
    work = scratch_dir()
    copy_tree(GRID, work / "t")
    tc = toolchain("release", cc="gcc", cflags="-O3 -fopenmp")
    res = local_sandbox.run(work, BuildSpec.detect(work / "t").steps(tc, "release", cwd="t"))
    assert res[0].ok, res[0].stderr
    (entry,) = [e for e in compile_commands(work / "t") if e["file"].endswith("grid.cc")]
    args = entry["arguments"]
    assert args[0] == "g++" and "-fipa-pta" in args  # gcc knows it: nothing dropped
    assert args.index("-O2") < args.index("-O3")  # ours after the project's: the last -O wins
    shutil.rmtree(work, ignore_errors=True)


def test_a_flag_only_the_compiler_refuses_is_dropped_and_real_errors_still_fail(local_sandbox):
    work = scratch_dir()
    (work / "t").mkdir(parents=True)
    # old C as gcc takes it (a call of an undeclared function): clang 16 refuses it unless told otherwise
    (work / "t" / "ok.c").write_text("int main(void) { return abs(0); }\n")
    (work / "t" / "bad.c").write_text("int main(void) { return x; }\n")
    tc = toolchain("race")
    good = BuildSpec("command", command="cc -fopt-info-vec -funroll-all-loops ok.c -o ok")
    res = local_sandbox.run(work, good.steps(tc, "race", cwd="t"))
    assert res[0].ok, res[0].stderr
    log = work / "t" / ".hpcagent-cc" / "log"
    assert (log / "dropped").read_text().split() == ["-fopt-info-vec"]
    assert (log / "ignored").read_text().split() == ["-funroll-all-loops"]  # clang warns and ignores it
    bad = BuildSpec("command", command="cc -fopt-info-vec bad.c -o bad")
    res = local_sandbox.run(work, [*bad.steps(tc, "race", cwd="t"), Step("after", "true", cwd="t")])
    assert not res[0].ok and "undeclared identifier 'x'" in res[0].stderr and res[1].skipped
    shutil.rmtree(work, ignore_errors=True)
