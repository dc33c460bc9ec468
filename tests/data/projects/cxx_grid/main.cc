#include <chrono>
#include <cstdio>
#include <cstdlib>
#include "grid.h"

int main(int argc, char **argv) {
    int n = argc > 1 ? std::atoi(argv[1]) : 800;
    int sweeps = argc > 2 ? std::atoi(argv[2]) : 1500;
    auto start = std::chrono::steady_clock::now();
    Grid g(n);
    g.smooth(sweeps);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("grid %d x %d, %d sweeps (mpi %d)\n", n, n, sweeps, USE_MPI);
    std::printf("checksum %.10e\n", g.checksum());
    std::printf("Elapsed time: %.6f s\n", elapsed);
    return 0;
}
