// Element-wise std::vector update: each iteration owns its element.
#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  std::vector<double> x(400), y(400);
  for (int i = 0; i < 400; i++) x[i] = i * 0.01;
#pragma omp parallel for
  for (int i = 0; i < 400; i++) y[i] = std::sqrt(x[i]) + 1.0;
  std::printf("y[399] %.3f\n", y[399]);
  return 0;
}
