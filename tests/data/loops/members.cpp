// C++ as mini-apps write it: loops in member functions reading data members through inline accessors, this->
// bounds, range-for over a member vector, a scratch struct filled member by member, functional casts.
#include <cstdio>
#include <vector>

struct Vec3 {
  double x, y, z;
};

class Field {
public:
  explicit Field(int n) : n_(n), u_(n * n), v_(n * n) {}
  void fill();
  void relax();
  double total() const;
  void shift();

private:
  int n_;
  std::vector<double> u_, v_;
  double at(int i, int j) const { return u_[i * n_ + j]; }
};

void Field::fill() {
  /* expect: parallel */
  for (int k = 0; k < this->n_ * this->n_; ++k)
    u_[k] = float(k % 13) / 13.0f;
}

void Field::relax() {
  /* expect: parallel */
  for (int i = 1; i < this->n_ - 1; ++i)
    for (int j = 1; j < n_ - 1; ++j)
      v_[i * n_ + j] = 0.25 * (at(i - 1, j) + at(i + 1, j) + at(i, j - 1) + at(i, j + 1));
}

double Field::total() const {
  double s = 0.0;
  /* expect: reduction reduction(+:s) */
  for (const double x : v_)
    s += x;
  return s;
}

void Field::shift() {
  /* expect: serial */
  for (int k = 1; k < n_ * n_; ++k)
    u_[k] = u_[k - 1] * 0.5 + u_[k];
}

void distances(const Vec3 *a, const Vec3 *b, double *out, int n) {
  Vec3 d;
  /* expect: parallel private(d) */
  for (int i = 0; i < n; i++) {
    d.x = a[i].x - b[i].x;
    d.y = a[i].y - b[i].y;
    d.z = a[i].z - b[i].z;
    out[i] = d.x * d.x + d.y * d.y + d.z * d.z;
  }
}

double last_delta(const Vec3 *a, int n) {
  Vec3 d = {0.0, 0.0, 0.0};
  /* expect: serial */
  for (int i = 1; i < n; i++) {
    d.x = a[i].x - a[i - 1].x;
    d.y = d.y + a[i].y;
  }
  return d.x + d.y;
}

int main() {
  const int n = 64;
  Field f(n);
  f.fill();
  f.relax();
  f.shift();
  std::vector<Vec3> a(n * n), b(n * n);
  std::vector<double> out(n * n);
  for (int i = 0; i < n * n; i++) {
    a[i] = {i * 0.5, i * 0.25, 1.0};
    b[i] = {1.0, i * 0.125, i * 0.75};
  }
  distances(a.data(), b.data(), out.data(), n * n);
  std::printf("%.6f %.6f %.6f\n", f.total(), out[n], last_delta(a.data(), n * n));
  return 0;
}
