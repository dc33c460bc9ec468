#include <vector>

struct Grid {
  std::vector<double> cells;
};

template <typename T>
double total(const T &g) {
  double s = 0.0;
  for (double c : g.values) s += c;
  return s;
}

int main() {
  Grid g;
  return static_cast<int>(total(g));
}
