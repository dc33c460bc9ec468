"""C++ written against accessors (`mesh.x(i) += mesh.xd(i) * dt`, the usual style of C++ mini-apps) is analysed
as the member accesses the accessors make; a local reference (`double &r = a[0]; r += x`) stores where it points;
a container's `at()` written to is a store into the container; a member function with no side effect reads the
members it names."""

from __future__ import annotations

from conftest import outputs_before_and_after

from hpcagent.tools.loops.accessors import find_accessors
from hpcagent.tools.loops.analysis import analyze_source
from hpcagent.tools.loops.cparse import parse
from hpcagent.tools.patch import apply_to_text

MESH = """#include <cstdio>
#include <vector>

class Mesh {
public:
    explicit Mesh(int n) : m_x(n), m_xd(n), m_f(n), m_mass(n, 2.0), m_n(n), m_dt(0.01) {}
    double &x(int i) { return m_x[i]; }
    double &xd(int i) { return this->m_xd[i]; }
    double &f(int i);
    double mass(int i) const { return (m_mass[i]); }
    const double &cx(int i) const { return m_x[i]; }
    double dt() const { return m_dt; }
    int size() const { return m_n; }
    double &p(int i) { return m_p[i]; }
    double &q(int i) { return m_q[i]; }
    void reset() {
        for (int i = 0; i < m_n; ++i)
            xd(i) = 0.0;
    }
    double *m_p, *m_q;
private:
    std::vector<double> m_x, m_xd, m_f, m_mass;
    int m_n;
    double m_dt;
};

double &Mesh::f(int i) { return m_f[i]; }

static void forces(Mesh &mesh) {
    for (int i = 0; i < mesh.size(); ++i) {
        double s = 0.0;
        for (int k = 0; k < 50; ++k)
            s += (mesh.cx(i) - k * 0.001) * 1e-3;
        mesh.f(i) = -s;
    }
}

static void advance(Mesh &mesh) {
    for (int i = 0; i < mesh.size(); ++i) {
        mesh.xd(i) += mesh.f(i) / mesh.mass(i) * mesh.dt();
        mesh.x(i) += mesh.xd(i) * mesh.dt();
    }
}

static void shift(Mesh &mesh) {
    for (int i = 1; i < mesh.size(); ++i)
        mesh.xd(i) = mesh.xd(i - 1) + mesh.f(i);
}

void through_pointers(Mesh &mesh, int n) {
    for (int i = 0; i < n; ++i)
        mesh.p(i) = 2.0 * mesh.q(i);
}

void two_meshes(Mesh &a, Mesh &b) {
    for (int i = 0; i < a.size(); ++i)
        a.f(i) = b.f(i);
}

int main() {
    Mesh mesh(20000);
    for (int i = 0; i < mesh.size(); ++i)
        mesh.x(i) = (i % 101) * 0.01;
    for (int step = 0; step < 5; ++step) {
        forces(mesh);
        advance(mesh);
    }
    shift(mesh);
    double s = 0.0;
    for (int i = 0; i < mesh.size(); ++i)
        s += mesh.x(i) + mesh.xd(i);
    mesh.reset();
    std::printf("%.10e\\n", s);
    return 0;
}
"""

REFS = """#include <vector>
struct Cell { double n; double e; };
void one_element(double *a, int n) {
    for (int i = 0; i < n; i++) {
        double &r = a[0];
        r += i;
    }
}
void own_cell(Cell *cells, int n) {
    for (int k = 0; k < n; k++) {
        Cell &c = cells[k];
        c.n = 0.5 * k;
        c.e = 2.0 * c.n;
    }
}
void previous(double *a, int n) {
    for (int i = 1; i < n; i++) {
        const double &prev = a[i - 1];
        a[i] = prev + 1.0;
    }
}
void first_slot(std::vector<double> &v, int n) {
    for (int i = 0; i < n; i++)
        v.at(0) = i;
}
void own_slot(std::vector<double> &v, int n) {
    for (int i = 0; i < n; i++)
        v.at(i) = i;
}
"""


def by_function(text: str) -> dict[tuple[str, int], object]:
    return {(r.function, r.depth): r for r in analyze_source(parse(text, "cpp"), "f.cpp")}


def test_accessors_are_the_member_functions_that_only_hand_out_a_member():
    found = find_accessors([parse(MESH, "cpp")])
    assert found[("xd", 1)].field == "m_xd" and found[("xd", 1)].ref        # through this->
    assert found[("f", 1)].field == "m_f" and found[("f", 1)].cls == "Mesh"  # defined out of the class
    assert not found[("mass", 1)].ref and not found[("cx", 1)].ref           # by value; a const reference
    assert found[("dt", 0)].params == () and found[("dt", 0)].field == "m_dt"
    assert ("reset", 0) not in found and ("p", 1) in found


def test_loops_written_against_accessors_are_proven_like_loops_on_the_members(tmp_path):
    reps = by_function(MESH)
    for name in ("forces", "advance"):
        assert reps[(name, 1)].verdict == "parallel", reps[(name, 1)].reason
    assert reps[("reset", 1)].verdict == "parallel"  # xd(i) in a member function: this->m_xd[i]
    shift = reps[("shift", 1)]
    assert shift.verdict == "serial" and "distance 1" in shift.reason
    # two pointer members may point into one array; two Mesh references may be one mesh: left to the race check
    for name in ("through_pointers", "two_meshes"):
        assert reps[(name, 1)].verdict == "unknown" and "may alias" in reps[(name, 1)].reason
        assert reps[(name, 1)].candidates and reps[(name, 1)].candidates[0].proof != "static"
    # the pragmas on forces and advance give what the serial program prints
    edits = [e for name in ("forces", "advance") for e in reps[(name, 1)].candidates[0].edits]
    assert "#pragma omp parallel for" in apply_to_text(MESH, edits)
    plain, changed = outputs_before_and_after(tmp_path, "g++", ".cpp", MESH, apply_to_text(MESH, edits))
    assert plain == changed and plain.strip()


def test_a_method_of_a_name_two_classes_define_differently_still_stops_the_loop():
    log = ("class Log {\npublic:\n    double &x(int i) { ++m_reads; return m_v[i]; }\n"
           "    std::vector<double> m_v;\n    int m_reads;\n};\n\n"
           "static void logged(Log &log, int n) {\n    for (int i = 0; i < n; ++i)\n        log.x(i) = 1.0;\n}\n\n")
    text = MESH.replace("static void shift", log + "static void shift")
    assert ("x", 1) in find_accessors([parse(MESH, "cpp")]) and ("x", 1) not in find_accessors([parse(text, "cpp")])
    # Log::x counts its calls: a call of x(i) may be either class's, so x is no accessor
    rep = by_function(text)[("logged", 1)]
    assert rep.verdict == "unknown" and rep.reason == "log.x() may modify log"


def test_a_local_reference_stores_where_it_points():
    reps = by_function(REFS)
    assert reps[("one_element", 1)].verdict == "serial" and "same element" in reps[("one_element", 1)].reason
    assert reps[("own_cell", 1)].verdict == "parallel", reps[("own_cell", 1)].reason
    assert reps[("previous", 1)].verdict == "serial" and "distance 1" in reps[("previous", 1)].reason
    assert reps[("first_slot", 1)].verdict == "serial" and "same element" in reps[("first_slot", 1)].reason
    assert reps[("own_slot", 1)].verdict == "parallel", reps[("own_slot", 1)].reason


BOX = """#include <vector>
class Box {
public:
    double volume(int e) const { return m_a[e] * m_b[e] * scale; }
    double next(int e) const;
    double tally(int e) { m_count++; return m_a[e]; }
    double &v(int e) { return m_v[e]; }
    double scale;
private:
    std::vector<double> m_a, m_b, m_v;
    int m_count;
};
double Box::next(int e) const { return m_v[e + 1]; }
void volumes(Box &box, int n) {
    for (int e = 0; e < n; e++)
        box.v(e) = box.volume(e);
}
void shifted(Box &box, int n) {
    for (int e = 0; e < n; e++)
        box.v(e) = box.next(e);
}
void counted(Box &box, int n) {
    for (int e = 0; e < n; e++)
        box.v(e) = box.tally(e);
}
void elsewhere(Box &box, double *out, int n) {
    for (int e = 0; e < n; e++)
        out[e] = box.volume(e);
}
void rescaled(Box &box, double *__restrict out, int n) {
    for (int e = 0; e < n; e++) {
        box.scale = e;
        out[e] = box.volume(e);
    }
}
"""


def test_a_member_function_with_no_side_effect_reads_the_members_it_names():
    reps = by_function(BOX)
    assert reps[("volumes", 1)].verdict == "parallel", reps[("volumes", 1)].reason  # m_v is none of m_a, m_b, scale
    assert reps[("shifted", 1)].reason == "box.next() reads box, which the loop writes"  # defined out of the class
    assert reps[("counted", 1)].reason == "box.tally() may modify box"                 # it counts its calls
    # a pointer the caller hands in may point into the box's vectors: left to the race check
    out = reps[("elsewhere", 1)]
    assert out.verdict == "unknown" and out.reason == "out and box.m_a may alias (pointers without restrict)"
    assert out.candidates and out.candidates[0].proof != "static"
    assert reps[("rescaled", 1)].reason == "box.volume() reads box, which the loop writes"



DOMAIN = """struct Dom { double lo[3], hi[3], ext[3]; double *p, *q; };
void extents(struct Dom *d) {
    for (int i = 0; i < 3; i++)
        d->ext[i] = d->hi[i] - d->lo[i];
}
void pointers(struct Dom *d, int n) {
    for (int i = 0; i < n; i++)
        d->p[i] = 2.0 * d->q[i];
}
void undeclared(int n) {
    for (int i = 0; i < n; i++)
        p[i] = q[i];
}
"""


def test_two_arrays_held_in_one_struct_never_overlap_but_what_its_pointers_reach_may():
    reps = {r.function: r for r in analyze_source(parse(DOMAIN, "c"), "d.c")}
    assert "no loop-carried dependence" in reps["extents"].reason and reps["extents"].verdict == "parallel"
    assert reps["pointers"].reason == "d->p and d->q may alias (pointers without restrict)"
    # outside a member function a name nobody declares here (a header's globals) is not a member of `this`
    assert reps["undeclared"].verdict == "unknown" and "may alias" in reps["undeclared"].reason
