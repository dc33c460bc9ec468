/* main for cells.c: ./app [cells [sweeps]]; prints a checksum of the sorted cells. */
int main(int argc, char **argv) {
    int ncells = argc > 1 ? atoi(argv[1]) : 400, sweeps = argc > 2 ? atoi(argv[2]) : 5;
    Atoms atoms = {malloc(sizeof(int) * ncells * MAXATOMS), malloc(sizeof(double[3]) * ncells * MAXATOMS)};
    Cells cells = {malloc(sizeof(int) * ncells), ncells};
    Sim sim = {&atoms, &cells};
    if (!atoms.gid || !atoms.r || !cells.count)
        return 2;
    unsigned s = 12345u;
    for (int c = 0; c < ncells; ++c) {
        cells.count[c] = 20 + c % 40;
        for (int k = 0; k < cells.count[c]; ++k) {
            s = s * 1103515245u + 12345u;
            atoms.gid[c * MAXATOMS + k] = (int) (s >> 8) % 1000000 * 64 + k;
            atoms.r[c * MAXATOMS + k][0] = k; atoms.r[c * MAXATOMS + k][1] = c; atoms.r[c * MAXATOMS + k][2] = s % 7;
        }
    }
    for (int w = 0; w < sweeps; ++w)
        sort_all(&sim);
    double sum = 0;
    for (int c = 0; c < ncells; ++c)
        for (int k = 0; k < cells.count[c]; ++k)
            sum += (k + 1) * (atoms.gid[c * MAXATOMS + k] % 1000 + atoms.r[c * MAXATOMS + k][0]);
    printf("%.1f\n", sum);
    return 0;
}
