#include "grid.h"

Grid::Grid(int n) : n_(n), u_(n * n), v_(n * n) {
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            u_[i * n + j] = (i * 7 + j * 13) % 17 / 17.0;
}

void Grid::smooth(int sweeps) {
    for (int s = 0; s < sweeps; ++s) {
        for (int i = 1; i < this->n_ - 1; ++i) {
            for (int j = 1; j < n_ - 1; ++j) {
                v_[i * n_ + j] = 0.2 * (at(i, j) + at(i - 1, j) + at(i + 1, j) + at(i, j - 1) + at(i, j + 1));
            }
        }
        u_.swap(v_);
    }
}

double Grid::checksum() const {
    double sum = 0.0;
    for (const double x : u_)
        sum += x;
    return sum;
}
