// A prefix-sum style loop over a std::vector: element i+1 depends on element i.
#include <cstdio>
#include <vector>

int main() {
  std::vector<long> p(300, 1);
#pragma omp parallel for
  for (int i = 0; i < 299; i++)
    p[i + 1] += p[i];  // race: p
  std::printf("p[299] %ld\n", p[299] > 0 ? 1L : 0L);
  return 0;
}
