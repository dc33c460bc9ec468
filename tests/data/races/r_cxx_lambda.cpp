// A lambda captures total by reference and is called from a parallel loop.
#include <cstdio>
#include <vector>

int main() {
  std::vector<double> v(256, 0.5);
  double total = 0.0;
  auto add = [&total](double x) { total += x; };  // race: total
#pragma omp parallel for
  for (int i = 0; i < 256; i++) add(v[i]);
  std::printf("total %.1f\n", total);
  return 0;
}
