"""Races between tasks and with the code that created them: what no depend clause or wait orders is a race; what
one does order, guards or privatizes is not."""

from __future__ import annotations

from hpcagent.tools.loops.static_races import file_races


def races(body: str) -> list[tuple[int, int, str]]:
    """The task races of a main whose single region holds body (body's first line is line 8)."""
    text = ("#include <omp.h>\nint g;\nint main(void) {\n  int x = 0, y = 0;\n#pragma omp parallel num_threads(2)\n"
            f"#pragma omp single\n{{\n{body}}}\n  return x + y;\n}}\n")
    return [(r.line, r.other_line, r.variable) for r in file_races(text, "c", "t.c")]


def test_the_creator_touching_what_the_task_writes_before_a_wait():
    task = "#pragma omp task shared(x)\n  x = 42;\n"
    assert races(task + "  y = x;\n#pragma omp taskwait\n") == [(9, 10, "x")]
    assert races(task + "#pragma omp taskwait\n  y = x;\n") == []
    assert races(task + "  if (y) y = x;\n") == []  # only on some paths: not proven


def test_sibling_tasks_and_their_depend_clauses():
    two = ("#pragma omp task shared(x){}\n  x = 1;\n#pragma omp task shared(x, y){}\n  y = x;\n#pragma omp taskwait\n")
    assert races(two.format("", "")) == [(9, 11, "x")]
    assert races(two.format(" depend(out: x)", " depend(in: x)")) == []
    assert races(two.format(" depend(in: x)", " depend(in: x)")) == [(9, 11, "x")]
    assert races(two.format(" depend(out: x)", " depend(in: y)")) == [(9, 11, "x")]
    assert races(two.format(" depend(mutexinoutset: x)", " depend(mutexinoutset: x)")) == []


def test_a_task_made_again_in_a_loop():
    loop = "  for (int k = 0; k < 4; k++) {{\n#pragma omp task shared(x){}\n    x += k;\n  }}\n"
    assert races(loop.format("")) == [(10, 10, "x")]
    assert races(loop.format(" depend(inout: x)")) == []
    guarded = ("  for (int k = 0; k < 4; k++) {\n#pragma omp task shared(x)\n    {\n#pragma omp atomic\n    x += k;\n"
               "    }\n  }\n")
    assert races(guarded) == []
    waited = "  for (int k = 0; k < 4; k++) {\n#pragma omp task shared(x)\n    x += k;\n#pragma omp taskwait\n  }\n"
    assert races(waited) == []


def test_what_the_task_does_not_share():
    assert races("#pragma omp task firstprivate(x)\n  x = 42;\n  y = x;\n") == []
    # declared inside the region: private to the creating thread, so firstprivate in the task by default
    assert races("  int z = 0;\n#pragma omp task\n  z = 42;\n  y = z;\n") == []
    # declared outside it (and a global): shared by default
    assert races("#pragma omp task\n  x = 42;\n  y = x;\n") == [(9, 10, "x")]
    assert races("#pragma omp task\n  g = 42;\n  y = g;\n") == [(9, 10, "g")]
    assert races("#pragma omp task if(0)\n  x = 42;\n  y = x;\n") == []
