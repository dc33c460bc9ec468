"""The static half of the race check: races the loop analysis proves from the directives, and nothing on a race-free
program (the suite's clean programs and the forms here that look racy but are not)."""

from __future__ import annotations

import json

import pytest
from conftest import DATA

from hpcagent.tools.loops.static_races import blank_pragmas, file_races, static_races

SUITE = DATA / "races"
MANIFEST = json.loads((SUITE / "manifest.json").read_text())


def races(text: str, lang: str = "c") -> list[tuple[int, str]]:
    return [(r.line, r.variable) for r in file_races(text, lang, "t.c")]


def program(body: str, decls: str = "") -> str:
    """A small program around a main body (line 5 is the body's first line)."""
    return f"#include <omp.h>\n#define N 100\ndouble a[N + 1], b[N], g;\n{decls}int main(void) {{\n{body}  return 0;\n}}\n"


@pytest.mark.parametrize("entry", [e for e in MANIFEST if not e["racy"]], ids=lambda e: e["file"])
def test_no_static_race_on_a_race_free_program(entry):
    assert static_races(SUITE / entry["file"]) == []


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e["racy"]], ids=lambda e: e["file"])
def test_a_static_race_names_a_racy_line_and_variable(entry):
    found = static_races(SUITE / entry["file"])
    for r in found:
        assert r.source == "static" and r.file == entry["file"]
        assert r.line in entry["lines"] and r.variable in entry["variables"], (r.line, r.variable, r.summary)


def test_every_race_of_the_kinds_the_analysis_decides_is_found_statically():
    # simd lanes (one thread) and stores -O1 removes: TSan cannot see them; tasks: only when a thread picks one up
    kinds = ("simd", "static-local", "task", "target", "carried")
    missed = [e["file"] for e in MANIFEST if e["racy"] and e["category"] in kinds and not static_races(SUITE / e["file"])]
    assert missed == []


def test_missing_clauses_are_named():
    text = program("  double s = 0.0, t;\n#pragma omp parallel for\n  for (int i = 0; i < N; i++) {\n"
                   "    t = b[i] * 2.0;\n    s += t;\n  }\n  g = s;\n")
    found = {r.variable: r for r in file_races(text, "c", "t.c")}
    assert sorted(found) == ["s", "t"]
    assert found["s"].missing == ["reduction(+:s)"] and found["t"].missing == ["private(t)"]
    assert found["s"].line == 9 and found["t"].line == 8
    fixed = text.replace("parallel for", "parallel for reduction(+ : s) private(t)")
    assert races(fixed) == []
    # a clause with the wrong operator is a wrong answer, not a race: s is private to each thread either way
    assert races(text.replace("parallel for", "parallel for reduction(* : s) lastprivate(t)")) == []


def test_a_proven_dependence_is_a_race_and_a_possible_one_is_not():
    shift = program("#pragma omp parallel for\n  for (int i = 0; i < N; i++)\n    a[i + 1] = a[i] + 1.0;\n")
    [race] = file_races(shift, "c", "t.c")
    assert (race.line, race.variable, race.missing) == (7, "a", []) and "distance 1" in race.summary
    indirect = program("  int idx[N];\n  for (int i = 0; i < N; i++) idx[i] = i;\n#pragma omp parallel for\n"
                       "  for (int i = 0; i < N; i++)\n    a[idx[i]] = b[i];\n")
    assert races(indirect) == []


def test_the_context_decides_what_a_for_in_a_region_shares():
    inside = program("#pragma omp parallel\n  {\n    double t;\n#pragma omp for\n    for (int i = 0; i < N; i++) {\n"
                     "      t = b[i];\n      a[i] = t * t;\n    }\n  }\n")
    assert races(inside) == []
    outside = inside.replace("  {\n    double t;\n", "  {\n    double u;\n").replace("int main(void) {\n",
                                                                                       "int main(void) {\n  double t;\n")
    assert [v for _, v in races(outside)] == ["t"]
    assert races(outside.replace("#pragma omp parallel\n", "#pragma omp parallel private(t)\n")) == []


def test_an_orphaned_for_shares_globals_but_not_the_functions_locals():
    locals_ = ("void part(void) {\n  double t, s = 0.0;\n#pragma omp for\n  for (int i = 0; i < N; i++) {\n"
               "    t = b[i];\n    s += t;\n  }\n#pragma omp atomic\n  g += s;\n}\n")
    assert races(program("#pragma omp parallel\n  part();\n", locals_)) == []
    glob = locals_.replace("    s += t;\n", "    g += t;\n")
    assert [v for _, v in races(program("#pragma omp parallel\n  part();\n", glob))] == ["g"]


def test_synchronised_or_single_threaded_accesses_are_left_alone():
    body = "#pragma omp parallel for{}\n  for (int i = 0; i < N; i++) {{\n{}    g += b[i];\n  }}\n"
    assert races(program(body.format("", ""))) == [(7, "g")]
    assert races(program(body.format("", "#pragma omp atomic\n"))) == []
    assert races(program(body.format("", "#pragma omp critical\n"))) == []
    assert races(program(body.format(" if(N > 1000)", ""))) == []
    assert races(program(body.format(" num_threads(1)", ""))) == []
    locked = program("  omp_lock_t l;\n  omp_init_lock(&l);\n#pragma omp parallel for\n  for (int i = 0; i < N; i++) {\n"
                     "    omp_set_lock(&l);\n    g += b[i];\n    omp_unset_lock(&l);\n  }\n")
    assert races(locked) == []
    one = program("#pragma omp parallel for\n  for (int i = 0; i < 1; i++)\n    g += b[i];\n")
    assert races(one) == []


def test_striped_locks_guard_their_stripe_not_a_scalar():
    body = ("  omp_lock_t l[2];\n#pragma omp parallel for\n  for (int i = 0; i < N; i++) {{\n"
            "    omp_set_lock(&l[{0}]);\n    {1} += b[i];\n    omp_unset_lock(&l[{0}]);\n  }}\n")
    assert races(program(body.format("i % 2", "g"))) == [(9, "g")]
    assert races(program(body.format("i % 2", "a[i % 2]"))) == []  # each stripe guards its own element
    assert races(program(body.format("0", "g"))) == []  # one lock for all
    helper = "void take(omp_lock_t *l) {\n  omp_set_lock(l);\n}\n"
    assert races(program(body.format("i % 2", "g").replace("    omp_set_lock(&l[i % 2]);\n",
                                                            "    omp_set_lock(&l[i % 2]);\n    take(l);\n"),
                         helper)) == []


def test_simd_lanes_and_safelen():
    body = "#pragma omp simd{}\n  for (int i = 4; i < N; i++)\n    a[i] = a[i - 4] + 1.0;\n"
    assert races(program(body.format(""))) == [(7, "a")]
    assert races(program(body.format(" safelen(8)"))) == [(7, "a")]
    assert races(program(body.format(" safelen(4)"))) == []


def test_static_locals_every_thread_writes():
    callee = "static double f(int i) {{\n  static double tmp;\n{}  tmp = i * 0.5;\n  return tmp;\n}}\n"
    loop = "#pragma omp parallel for\n  for (int i = 0; i < N; i++)\n    b[i] = f(i);\n"
    [race] = file_races(program(loop, callee.format("")), "c", "t.c")
    assert (race.line, race.variable, race.missing) == (6, "tmp", ["threadprivate(tmp)"])
    assert races(program(loop, callee.format("#pragma omp threadprivate(tmp)\n"))) == []
    assert races(program(loop, callee.format("#pragma omp critical\n"))) == []
    serial = "  for (int i = 0; i < N; i++)\n    b[i] = f(i);\n"
    assert races(program(serial, callee.format(""))) == []
    region = program("#pragma omp parallel\n  {\n    static int me;\n    me = omp_get_thread_num();\n  }\n")
    assert races(region) == [(8, "me")]
    assert races(region.replace("    me = omp", "#pragma omp single\n    me = omp")) == []


def test_blanking_keeps_the_lines():
    text = "int x;\n#pragma omp parallel for \\\n    reduction(+:x)\nfor (;;) x++;\n"
    assert blank_pragmas(text).split("\n") == ["int x;", "", "", "for (;;) x++;", ""]
