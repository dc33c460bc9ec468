"""A type defined as an array (`typedef double real3[3];`, as molecular-dynamics codes write their vectors): a
variable declared with it in a loop body is that iteration's own array, not a pointer set inside the loop, whether
the typedef is in the file or in a header the program includes. And the atoms of cell i (`i*MAX .. i*MAX + n`) are
the same work shifted, not a triangle: no dynamic schedule for them."""

from __future__ import annotations

from pathlib import Path

from hpcagent.tools.loops.analysis import analyze_file, analyze_source, load_program
from hpcagent.tools.loops.cparse import parse

TYPES = """typedef double real_t;
typedef real_t real3[3];
typedef struct { real3 *r; real3 *f; real_t *e; } Atoms;
"""
FORCE = """
real_t pairs(Atoms *a, int n) {
  real_t total = 0.0;
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) {
      real3 dr;
      real_t r2 = 0.0;
      for (int m = 0; m < 3; m++) {
        dr[m] = a->r[i][m] - a->r[j][m];
        r2 += dr[m] * dr[m];
      }
      if (r2 > 0.0) {
        total += r2;
        for (int m = 0; m < 3; m++)
          a->f[i][m] -= dr[m] * r2;
      }
    }
  }
  return total;
}
"""


def outer(reports: list) -> object:
    return next(r for r in reports if r.depth == 1)


def test_a_typedef_array_declared_in_the_body_is_the_iterations_own():
    src = parse(TYPES + FORCE, "c")
    assert set(src.array_types) == {"real3"}
    rep = outer(analyze_source(src, "f.c"))
    assert "dr" not in rep.reason, rep.reason  # (was: "pointer dr is set inside the loop")
    # what is left is the possible aliasing of the struct's arrays: a candidate for the sandbox's evidence
    assert rep.candidates and rep.candidates[0].pragma.startswith("#pragma omp parallel for"), rep.reason
    assert "reduction(+:total)" in rep.candidates[0].pragma


def test_the_typedef_from_a_header_reaches_every_file_of_the_program(tmp_path: Path):
    (tmp_path / "types.h").write_text(TYPES)
    (tmp_path / "force.c").write_text('#include "types.h"\n' + FORCE)
    alone = outer(analyze_file(tmp_path / "force.c", tmp_path))
    assert alone.reason == "pointer dr is set inside the loop"  # the file by itself does not say what real3 is
    program = load_program(tmp_path)
    rep = outer(analyze_file(tmp_path / "force.c", tmp_path, program))
    assert "dr" not in rep.reason and rep.candidates, rep.reason


CELLS = """typedef double real_t;
void cells(real_t *u, const real_t *r, const int *count, int ncells, int max) {
  for (int ib = 0; ib < ncells; ib++) {
    int n = count[ib];
    for (int i = ib * max; i < ib * max + n; i++)
      u[i] += r[i] * r[i];
  }
}
void triangle(real_t *u, const real_t *r, int n) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++)
      u[i] += r[j];
}
"""


def test_bounds_shifted_by_the_index_are_not_a_triangle():
    reports = {r.function: r for r in analyze_source(parse(CELLS, "c"), "f.c") if r.depth == 1}
    shifted = [c.pragma for c in reports["cells"].candidates if c.line == reports["cells"].line]
    assert shifted and not any("dynamic" in p for p in shifted), shifted
    tri = [c.pragma for c in reports["triangle"].candidates if c.line == reports["triangle"].line]
    assert "schedule(dynamic)" in tri[0], tri
