/* Sparse matrix-vector products, gathers, scatters, histograms and permutations. */
#include <stdio.h>
#include <stdlib.h>

#define NR 3000
#define NNZ 5
#define NB 16

static int rowptr[NR + 1], col[NR * NNZ], perm[NR], idx[NR];
static double val[NR * NNZ], xv[NR], yv[NR], w[NR];

void spmv_csr(int n) {
  /* expect: parallel */
  for (int r = 0; r < n; r++) {
    double s = 0;
    /* expect: reduction reduction(+:s) */
    for (int k = rowptr[r]; k < rowptr[r + 1]; k++)
      s += val[k] * xv[col[k]];
    yv[r] = s;
  }
}

void spmv_transposed(int n) {
  /* expect: reduction reduction(+:w) */
  for (int r = 0; r < n; r++)
    /* expect: reduction reduction(+:w) */
    for (int k = rowptr[r]; k < rowptr[r + 1]; k++)
      w[col[k]] += val[k] * xv[r];
}

void gather(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++)
    yv[i] = xv[idx[i]];
}

void scatter_perm(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    w[perm[i]] = xv[i];
}

void scatter_update(int n) {
  /* expect: reduction reduction(+:w) */
  for (int i = 0; i < n; i++)
    w[idx[i]] += 1.0;
}

void histogram(int n) {
  int hist[NB] = {0};
  /* expect: reduction reduction(+:hist) */
  for (int i = 0; i < n; i++)
    hist[idx[i] % NB]++;
  printf("%d %d\n", hist[0], hist[NB - 1]);
}

void indirect_read_write_same(int n) {
  /* expect: serial */
  for (int i = 0; i < n; i++)
    xv[idx[i]] = xv[i] * 0.5;
}

void gather_scale(int n) {
  /* expect: parallel */
  for (int i = 0; i < n; i++) {
    int j = idx[i];
    w[i] = val[j] * 2.0 + xv[j];
  }
}

void ell_spmv(int n) {
  /* expect: parallel */
  for (int r = 0; r < n; r++) {
    double s = 0;
    /* expect: reduction reduction(+:s) */
    for (int k = 0; k < NNZ; k++)
      s += val[r * NNZ + k] * xv[col[r * NNZ + k]];
    yv[r] = s;
  }
}

void count_per_row(int n) {
  /* expect: parallel */
  for (int r = 0; r < n; r++)
    idx[r] = rowptr[r + 1] - rowptr[r];
}

int main(void) {
  rowptr[0] = 0;
  for (int r = 0; r < NR; r++) rowptr[r + 1] = rowptr[r] + 1 + r % NNZ;
  for (int k = 0; k < NR * NNZ; k++) { col[k] = (k * 7) % NR; val[k] = 1.0 + k % 3; }
  for (int i = 0; i < NR; i++) {
    perm[i] = (i * 17) % NR; idx[i] = (i * 31 + 5) % NR;
    xv[i] = i % 10; yv[i] = 0; w[i] = 0;
  }
  spmv_csr(NR); spmv_transposed(NR); gather(NR); scatter_perm(NR); scatter_update(NR);
  histogram(NR); indirect_read_write_same(NR); gather_scale(NR); ell_spmv(NR); count_per_row(NR);
  double s = 0;
  for (int i = 0; i < NR; i++) s += yv[i] + w[i] + xv[i] + idx[i];
  printf("%.4f\n", s);
  return 0;
}
