"""C++ calls as a finite-volume code writes them: small inline helpers that fill a struct handed over by reference,
and function templates called with explicit arguments (`copy<float>(...)`). Neither may stop the analysis of the
loop around them; the changed program builds with g++ -fopenmp and prints what the original prints."""

from __future__ import annotations

import shutil
import subprocess

from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.patch import apply_to_text

FLUX = """#include <cmath>
#include <cstdio>
struct vec3 { float x, y, z; };

inline void velocity_of(float &rho, vec3 &mom, vec3 &vel) {
  vel.x = mom.x / rho;
  vel.y = mom.y / rho;
  vel.z = mom.z / rho;
}
inline void contribution(vec3 &vel, float &p, vec3 &fx, vec3 &fy) {
  vec3 tmp;
  velocity_of(p, vel, tmp);
  fx.x = vel.x * tmp.x + p;
  fx.y = vel.x * vel.y;
  fy.x = fx.y;
  fy.y = vel.y * vel.y + p;
}
inline float speed_sq(vec3 &v) { return v.x * v.x + v.y * v.y + v.z * v.z; }
template <typename T> T halve(T v) { return v / T(2); }
template <typename T> void copy(T *dst, const T *src, int n) {
  for (int i = 0; i < n; i++)
    dst[i] = src[i];
}

void flux(int n, const float *var, float *out) {
  for (int i = 0; i < n; i++) {
    float rho = var[i] + 1.0f;
    vec3 mom;
    mom.x = var[i + n];
    mom.y = var[i + 2 * n];
    mom.z = var[i + 3 * n];
    vec3 vel;
    velocity_of(rho, mom, vel);
    float p = halve<float>(speed_sq(vel));
    vec3 fx, fy;
    contribution(vel, p, fx, fy);
    out[i] = fx.x + fy.y + std::sqrt(p);
  }
}

void shared_result(int n, const float *var, float *out) {
  vec3 vel;
  for (int i = 0; i < n; i++) {
    float rho = var[i] + 1.0f;
    vec3 mom = {var[i], var[i], var[i]};
    velocity_of(rho, mom, vel);
    out[i] = vel.x;
  }
  out[0] += vel.y;
}

int main() {
  const int n = 20000;
  static float var[4 * n], out[n], old[4 * n];
  for (int i = 0; i < 4 * n; i++)
    var[i] = (i % 97) * 0.01f;
  for (int r = 0; r < 10; r++) {
    copy<float>(old, var, 4 * n);
    flux(n, old, out);
  }
  shared_result(n, var, out);
  double s = 0;
  for (int i = 0; i < n; i++)
    s += out[i];
  std::printf("%.6e\\n", s);
  return 0;
}
"""


def reports():
    return {(r.function, r.depth): r for r in analyze_source(parse(FLUX, "cpp"), "f.cpp")}


def test_helpers_writing_the_iterations_own_structs_by_reference_do_not_stop_the_loop(tmp_path):
    rep = reports()[("flux", 1)]
    assert rep.verdict == "parallel", rep.reason
    assert rep.candidates[0].pragma == "#pragma omp parallel for"
    # a struct declared outside the loop and filled by the helper: each iteration would write the same variable
    shared = reports()[("shared_result", 1)]
    assert shared.verdict == "unknown" and "velocity_of writes vel (reference parameters)" in shared.reason
    assert not any(c.kind == "pragma" and c.proof == "static" for c in shared.candidates)
    assert shutil.which("g++"), "g++ is not installed"
    outs = []
    for name, text in (("plain", FLUX), ("par", apply_to_text(FLUX, rep.candidates[0].edits))):
        (tmp_path / f"{name}.cpp").write_text(text)
        subprocess.run(["g++", "-O2", "-fopenmp", str(tmp_path / f"{name}.cpp"), "-o", str(tmp_path / name)],
                       check=True, timeout=120)
        outs.append(subprocess.run([str(tmp_path / name)], check=True, capture_output=True, text=True, timeout=60,
                                   env={"OMP_NUM_THREADS": "2"}).stdout)
    assert outs[0] == outs[1] and outs[0].strip()


def test_a_template_called_with_explicit_arguments_is_the_template_defined_here():
    # the time loop calls copy<float>: its summary is copy's (it writes through dst), not "not known"
    lines = FLUX.splitlines()
    time_loop = next(i + 1 for i, ln in enumerate(lines) if "for (int r = 0; r < 10; r++)" in ln)
    outer = next(r for r in analyze_source(parse(FLUX, "cpp"), "f.cpp") if r.line == time_loop)
    assert outer.reason == "call to copy: copy writes dst (pointer parameters)", outer.reason
