// A member counter updated from a parallel loop inside a method: count_ is shared through this.
#include <cstdio>
#include <vector>

class Counter {
 public:
  void scan(const std::vector<int> &v) {
#pragma omp parallel for
    for (int i = 0; i < static_cast<int>(v.size()); i++) {
      if (v[i] % 2 == 0)
        count_++;  // race: count_
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
