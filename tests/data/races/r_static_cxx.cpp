// A C++ helper keeps its scratch buffer in a static local; the parallel loop calls it from every thread.
#include <cstdio>
#include <vector>

static double smooth(const std::vector<double> &v, int i) {
  static double window[3];
  window[0] = v[i - 1];  // race: window
  window[1] = v[i];  // race: window
  window[2] = v[i + 1];  // race: window
  return (window[0] + window[1] + window[2]) / 3.0;
}

int main() {
  std::vector<double> v(1002, 1.0), out(1002, 0.0);
#pragma omp parallel for
  for (int i = 1; i < 1001; i++) out[i] = smooth(v, i);
  std::printf("out[500] %.2f\n", out[500]);
  return 0;
}
