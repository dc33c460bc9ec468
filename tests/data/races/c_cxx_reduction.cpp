// A C++ method with a proper reduction over a std::vector.
#include <cstdio>
#include <vector>

class Counter {
 public:
  void scan(const std::vector<int> &v) {
    int even = 0;
#pragma omp parallel for reduction(+ : even)
    for (int i = 0; i < static_cast<int>(v.size()); i++)
      if (v[i] % 2 == 0) even++;
    count_ = even;
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
