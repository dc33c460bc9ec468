#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "mesh.h"

static void forces(Mesh &mesh, int reach) {
    for (Index i = 0; i < mesh.size(); ++i) {
        Real xi = mesh.x(i), s = 0.0;
        for (int k = 0; k < reach; ++k)
            s += std::sin(xi * (k + 1)) * mesh.stiffness() / (k + 1);
        mesh.f(i) = -s;
    }
}

static void advance(Mesh &mesh, Real dt) {
    for (Index i = 0; i < mesh.size(); ++i) {
        mesh.v(i) += mesh.f(i) / mesh.mass(i) * dt;
        mesh.x(i) += mesh.v(i) * dt;
    }
}

int main(int argc, char **argv) {
    Index n = argc > 1 ? std::atoi(argv[1]) : 20000;
    int steps = argc > 2 ? std::atoi(argv[2]) : 80;
    Mesh mesh(n);
    for (int step = 0; step < steps; ++step) {
        forces(mesh, 40);
        advance(mesh, 0.01);
    }
    Real sum = 0.0;
    for (Index i = 0; i < mesh.size(); ++i)
        sum += mesh.x(i) * (1 + i % 3);
    std::printf("n=%d steps=%d sum=%.10e\n", n, steps, sum);
    return 0;
}
