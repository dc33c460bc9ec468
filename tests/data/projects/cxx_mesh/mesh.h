// A mesh written the way C++ mini-apps write them: private std::vector members, reached only through inline
// accessors returning references, one accessor defined out of the class, const getters.
#pragma once
#include <vector>

typedef double Real;
typedef int Index;

class Mesh {
public:
    explicit Mesh(Index n);
    Real &x(Index i) { return m_x[i]; }
    Real &v(Index i) { return m_v[i]; }
    Real &f(Index i);
    Real mass(Index i) const { return m_mass[i]; }
    Real stiffness() const { return m_k; }
    Index size() const { return m_n; }

private:
    std::vector<Real> m_x, m_v, m_f, m_mass;
    Real m_k;
    Index m_n;
};
