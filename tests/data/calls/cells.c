/* Per-cell functions of a molecular-dynamics style code (tests/tools/loops/test_deep_calls.py and
   tests/agent/run/test_deep_calls_docker.py append a main). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define MAXATOMS 64
typedef struct { int *gid; double (*r)[3]; } Atoms;
typedef struct { int *count; int n; } Cells;
typedef struct { Atoms *atoms; Cells *cells; } Sim;
typedef struct { int gid; double x, y, z; } Msg;
int log_count;

static int by_id(const void *a, const void *b) {
    int x = ((const Msg *) a)->gid, y = ((const Msg *) b)->gid;
    return x < y ? -1 : 1;
}
static int noisy(const void *a, const void *b) { log_count++; return by_id(a, b); }

static void sort_cell(Atoms *atoms, Cells *cells, int c) {
    int n = cells->count[c];
    Msg tmp[MAXATOMS];
    int begin = c * MAXATOMS;
    for (int i = begin, k = 0; i < begin + n; ++i, ++k) {
        tmp[k].gid = atoms->gid[i];
        tmp[k].x = atoms->r[i][0]; tmp[k].y = atoms->r[i][1]; tmp[k].z = atoms->r[i][2];
    }
    qsort(tmp, n, sizeof(Msg), by_id);
    for (int i = begin, k = 0; i < begin + n; ++i, ++k) {
        atoms->gid[i] = tmp[k].gid;
        atoms->r[i][0] = tmp[k].x; atoms->r[i][1] = tmp[k].y; atoms->r[i][2] = tmp[k].z;
    }
}
static void sort_loudly(Atoms *atoms, Cells *cells, int c) { printf("cell %d\n", c); sort_cell(atoms, cells, c); }
static void sort_counted(Atoms *atoms, Cells *cells, int c) {
    Msg tmp[MAXATOMS];
    qsort(tmp, cells->count[c], sizeof(Msg), noisy);
    atoms->gid[c] = tmp[0].gid;
}
static void clear_row(Sim *sim, int c) { memset(sim->atoms->r[c * MAXATOMS], 0, sizeof(double[3])); }
static void shift_rows(double *dst, const double *src, int n) { memcpy(dst, src, n * sizeof(double)); }

void sort_all(Sim *sim) {
    for (int c = 0; c < sim->cells->n; ++c)
        sort_cell(sim->atoms, sim->cells, c);
}
void sort_all_loudly(Sim *sim) {
    for (int c = 0; c < sim->cells->n; ++c)
        sort_loudly(sim->atoms, sim->cells, c);
}
void sort_all_counted(Sim *sim) {
    for (int c = 0; c < sim->cells->n; ++c)
        sort_counted(sim->atoms, sim->cells, c);
}
