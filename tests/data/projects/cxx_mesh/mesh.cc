#include "mesh.h"

Mesh::Mesh(Index n) : m_x(n), m_v(n, 0.0), m_f(n, 0.0), m_mass(n), m_k(0.75), m_n(n) {
    for (Index i = 0; i < n; ++i) {
        m_x[i] = (i % 97) * 0.01;
        m_mass[i] = 1.0 + (i % 5) * 0.25;
    }
}

Real &Mesh::f(Index i) { return m_f[i]; }
