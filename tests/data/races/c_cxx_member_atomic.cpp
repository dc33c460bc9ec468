// The member counter updated atomically from the parallel loop.
#include <cstdio>
#include <vector>

class Counter {
 public:
  void scan(const std::vector<int> &v) {
#pragma omp parallel for
    for (int i = 0; i < static_cast<int>(v.size()); i++) {
      if (v[i] % 2 == 0) {
#pragma omp atomic
        count_++;
      }
    }
  }
  int count() const { return count_; }

 private:
  int count_ = 0;
};

int main() {
  std::vector<int> v(300);
  for (int i = 0; i < 300; i++) v[i] = i;
  Counter c;
  c.scan(v);
  std::printf("even %d\n", c.count());
  return 0;
}
