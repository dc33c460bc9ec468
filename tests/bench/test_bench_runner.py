"""The kernel benchmark runner: real end-to-end quick run in Docker, race check of a variant, and its tables."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO

if str(REPO) not in sys.path:  # bench/ is a folder of scripts at the repository root, not an installed package
    sys.path.insert(0, str(REPO))

from bench import kernel_results, variants
from bench.agent_variant import first_reason, note

NAMES = ["serial", "gcc-autopar", "polly", "reference", "hpcagent"]

RACY = """#include <stdio.h>
int main(void) {
    double s = 0.0;
    #pragma omp parallel for
    for (int i = 0; i < 20000; i++)
        s += i * 0.5;
    printf("racy checksum %.10e\\n", s);
    return 0;
}
"""


@pytest.mark.docker
@pytest.mark.slow
def test_quick_run_writes_results_in_the_promised_shape(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "bench.run", "--quick", "--only", "gemm,recurrence", "--small", "--reps", "2",
           "--out", str(out), "--work", str(tmp_path / "work"), "--agent-args", "--max-targets 1 --attempts 1"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=1800, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (out / "results.json").exists(), "--quick must not write the full results file"
    data = json.loads((out / "results_quick.json").read_text())
    assert set(data) == {"machine", "command", "geomean", "kernels", "polly_by_form"}
    # one row per computation with a Polly figure (no static twin in this selection: each from its own row)
    by_form = data["polly_by_form"]
    if by_form is not None:
        assert {r["computation"] for r in by_form["rows"]} <= {"gemm", "recurrence"}
        assert all(r["polly_from"].endswith(f" on {r['computation']}") for r in by_form["rows"])
    assert "--only gemm,recurrence" in data["command"]
    assert data["machine"]["nproc"] >= 1 and data["machine"]["uname"]
    assert set(data["geomean"]) == set(NAMES) and data["geomean"]["serial"] == 1.0
    assert set(data["kernels"]) == {"gemm", "recurrence"}
    for name, kernel in data["kernels"].items():
        assert set(kernel) == set(NAMES), name
        for v, rec in kernel.items():
            assert {"speedup", "min", "max", "correct", "race"} <= set(rec), (name, v)
            # Each cell is either a measured speedup or a reason, never neither.
            assert rec["speedup"] is not None or rec.get("reason"), (name, v, rec)
        assert kernel["gcc-autopar"]["race"] is None and kernel["gcc-autopar"]["race_check"] == "n/a"
        assert kernel["polly"]["race"] is None and kernel["polly"]["race_check"] == "n/a"
        assert isinstance(kernel["reference"]["race"], bool)
        assert kernel["hpcagent"]["agent_seconds"] > 0
        assert kernel["hpcagent"]["agent_exit"] in (0, 3)
        if kernel["hpcagent"]["agent_exit"] == 3:
            assert kernel["hpcagent"]["speedup"] == 1.0
            assert kernel["hpcagent"]["reason"].startswith("no change accepted: ")
    md = (out / "RESULTS_kernels_quick.md").read_text()
    assert "| gemm |" in md and "| recurrence |" in md and "**geomean**" in md
    assert ("## Polly on the form it handles" in md) == (by_form is not None)
    assert data["command"] in md
    assert (out / "results_quick.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.docker
def test_race_check_of_a_variant_finds_a_race_and_clears_the_fix(docker_sandbox, tmp_path):
    kdir = tmp_path / "k"
    (kdir / "reference").mkdir(parents=True)
    (kdir / "reference" / "racy.c").write_text(RACY)
    found = variants.race(docker_sandbox, kdir, "reference", "racy", "", threads=(2,))
    assert found["race"] is True and found["reason"].startswith("race (")
    (kdir / "reference" / "racy.c").write_text(RACY.replace("parallel for", "parallel for reduction(+:s)"))
    assert variants.race(docker_sandbox, kdir, "reference", "racy", "", threads=(2,)) == {"race": False}


def test_wrong_output_is_a_reason_not_a_speedup():
    serial = "gemm N=64 checksum 1.0000000000e+03\n"
    ok = variants.check_output(serial, {"ran": True, "stdout": "gemm N=64 checksum 1.0000000001e+03\n"})
    assert ok["correct"] is True and "reason" not in ok
    bad = variants.check_output(serial, {"ran": True, "stdout": "gemm N=64 checksum 1.1000000000e+03\n"})
    assert bad["correct"] is False and bad["reason"].startswith("wrong output: line 1 ")
    assert "number 2: expected" in bad["reason"]


def test_geomean_excludes_failed_variants_and_the_table_lists_them():
    def ok(s):
        return {"speedup": s, "min": s, "max": s, "correct": True, "race": False}

    kernels = {"a": {"serial": ok(1.0), "reference": ok(2.0), "polly": ok(0.5)},
               "b": {"serial": ok(1.0), "reference": ok(8.0),
                     "polly": {"speedup": None, "correct": False, "race": None, "reason": "wrong output: x"}}}
    means, excluded = kernel_results.summarize(kernels, ["serial", "polly", "reference"])
    assert means == {"serial": 1.0, "polly": 0.5, "reference": 4.0}
    assert excluded == {"serial": [], "polly": ["b"], "reference": []}
    md = kernel_results.markdown({"date": "d", "uname": "u", "nproc": 2, "cpu": "c"}, "python -m bench.run",
                                 kernels, ["serial", "polly", "reference"], means, excluded, 2, 5, "r.png", ["c"])
    assert "- excluded from polly: b" in md and "wrong output: x" in md and "**4.00x**" in md
    assert "**Incomplete**: not yet run (or the run stopped): c." in md


def test_polly_is_taken_from_the_form_it_handles():
    def ok(s, par=True):
        return {"speedup": s, "min": s, "max": s, "correct": True, "race": False, "parallel_code": par}

    kernels = {"gemm": {"polly": ok(1.4, par=False), "polly-par": ok(1.2), "reference": ok(2.0), "hpcagent": ok(2.5)},
               "atax": {"polly": ok(1.1), "polly-par": ok(1.0), "reference": ok(1.9), "hpcagent": ok(2.0)},
               "gemm_sa": {"polly": ok(2.0, par=False), "polly-par": ok(2.6), "reference": ok(2.2),
                           "hpcagent": ok(2.4)},
               "lu": {"polly": {"speedup": None, "correct": False}, "reference": ok(2.0), "hpcagent": ok(2.0)}}
    by_form = kernel_results.polly_by_form(kernels, {"gemm": "gemm_sa", "2mm": "2mm_sa"})
    rows = {r["computation"]: r for r in by_form["rows"]}
    # the static twin is folded into its pointer-form row; a computation with no Polly figure has no row
    assert set(rows) == {"gemm", "atax"}
    # Polly's best over both forms and both columns; hpcagent and the reference stay on the code as written
    assert (rows["gemm"]["polly"], rows["gemm"]["polly_from"], rows["gemm"]["polly_parallel"]) == \
        (2.6, "polly-par on gemm_sa", True)
    assert rows["gemm"]["hpcagent"] == 2.5 and rows["atax"]["polly_from"] == "polly on atax"
    assert by_form["geomean"]["polly"] == round((2.6 * 1.1) ** 0.5, 3)
    md = "\n".join(kernel_results.by_form_markdown(by_form))
    assert "| gemm | 2.60x | polly-par on gemm_sa | 2.00x | 2.50x |" in md
    assert "Every chosen Polly figure came from a binary that called the OpenMP runtime." in md
    kernels["gemm_sa"]["polly"] = ok(3.0, par=False)
    md = "\n".join(kernel_results.by_form_markdown(kernel_results.polly_by_form(kernels, {"gemm": "gemm_sa"})))
    assert "| gemm | 3.00x ° | polly on gemm_sa |" in md and "serial binary (°) on: gemm." in md
    assert kernel_results.polly_by_form({"a": {"reference": ok(2.0)}}, {}) is None


def test_agent_note_names_the_first_reason_a_loop_was_refused():
    summary = {"tried": 2, "accepted": 1, "profile_error": None, "dropped_in_compose": [],
               "loops": [{"loop": "k.c:10", "status": "accepted", "reason": "faster"},
                         {"loop": "k.c:30", "status": "given_up", "reason": "race on a[i]\nSuggestion: x"}]}
    assert first_reason(summary) == "k.c:30: race on a[i]"
    assert note(summary) == "1 of 2 loop(s) accepted; k.c:30: race on a[i]"
    assert first_reason(None) == "no summary.json written"


def test_a_pathologically_slow_variant_is_judged_from_its_one_run():
    slow = variants.too_slow({"run_seconds": 0.2}, {"run_seconds": 5.0})
    assert slow["speedup"] == 0.04 and slow["timing"].startswith("one run only")
    assert "(one run)" in kernel_results.cell(slow)
    assert variants.too_slow({"run_seconds": 0.2}, {"run_seconds": 1.0}) is None
    assert variants.too_slow({"run_seconds": 0.001}, {"run_seconds": 1.0}) is None  # too short to judge


TOY = """#include <stdio.h>
#ifndef N
#define N 2000000
#endif
static double a[N];
int main(void) {
    double s = 0.0;
    for (int i = 0; i < N; i++)
        a[i] = (i % 7) * 0.25;
    PRAGMA
    for (int i = 0; i < N; i++)
        s += a[i];
    printf("toy checksum %.10e\\n", s);
    return 0;
}
"""


@pytest.mark.docker
@pytest.mark.slow
def test_a_racy_reference_gets_a_reason_and_leaves_the_geomean(tmp_path, monkeypatch):
    from bench import run

    kernels = tmp_path / "kernels"
    (kernels / "toy").mkdir(parents=True)
    (kernels / "toy" / "toy.c").write_text(TOY.replace("PRAGMA", ""))
    (kernels / "toy" / "toy_omp.c").write_text(TOY.replace("PRAGMA", "#pragma omp parallel for"))
    (kernels / "manifest.json").write_text(json.dumps([{
        "name": "toy", "file": "toy/toy.c", "ref": "toy/toy_omp.c", "category": "reduction",
        "serial_hot_loop": False, "quick": True, "small_defines": "-DN=20000"}]))
    monkeypatch.setattr(run, "KERNELS", kernels)
    out = tmp_path / "out"
    code = run.main(["--only", "toy", "--small", "--reps", "2", "--out", str(out), "--work", str(tmp_path / "w"),
                     "--agent-args", "--max-targets 1 --attempts 1"])
    assert code == 0
    data = json.loads((out / "results.json").read_text())
    ref = data["kernels"]["toy"]["reference"]
    assert ref["speedup"] is None
    assert ref["reason"].startswith(("wrong output", "race (")), ref
    assert data["geomean"]["reference"] is None
    assert "- excluded from reference: toy" in (out / "RESULTS_kernels.md").read_text()
