// C++: range-for over std::vector, index loops over vectors, member calls.
#include <cstdio>
#include <vector>
#include <cmath>

static const int N = 4000;

void scale_all(std::vector<double> &v) {
  /* expect: parallel */
  for (auto &x : v)
    x *= 2.0;
}

double sum_range(const std::vector<double> &v) {
  double s = 0;
  /* expect: reduction reduction(+:s) */
  for (double x : v)
    s += x;
  return s;
}

void index_loop(std::vector<double> &out, const std::vector<double> &in) {
  /* expect: parallel */
  for (std::size_t i = 0; i < in.size(); i++)
    out[i] = std::sqrt(in[i]);
}

void push_loop(std::vector<double> &out, int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    out.push_back(i * 0.5);
}

void shift_vector(std::vector<double> &v) {
  /* expect: serial */
  for (std::size_t i = 1; i < v.size(); i++)
    v[i] = v[i - 1] + 1.0;
}

double max_range(const std::vector<double> &v) {
  double m = -1e300;
  /* expect: reduction reduction(max:m) */
  for (double x : v)
    m = std::max(m, x);
  return m;
}

void local_vectors(int n) {
  std::vector<double> a(n), b(n);
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    a[i] = i * 0.25;
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    b[i] = a[i] * a[i];
  std::printf("%.3f\n", b[n - 1]);
}

void print_range(const std::vector<double> &v) {
  /* expect: serial */
  for (double x : v)
    if (x > 1e9) std::printf("%g\n", x);
}

int main() {
  std::vector<double> v(N), w(N), out;
  for (int i = 0; i < N; i++) { v[i] = i % 11; w[i] = 0; }
  scale_all(v);
  double s = sum_range(v);
  index_loop(w, v);
  push_loop(out, 100);
  shift_vector(w);
  double m = max_range(v);
  local_vectors(N);
  print_range(v);
  std::printf("%.4f %.4f %.4f %zu\n", s, m, w[N - 1], out.size());
  return 0;
}
