/* Kernel suite written in the macro style of classic benchmark codes (written for hpcagent's tests). */
#ifndef KERNELS_H
#define KERNELS_H

#ifndef NX
#define NX 600
#endif
#ifndef NY
#define NY 500
#endif

#ifdef USE_FLOAT
#define REAL float
#else
#define REAL double
#endif

#define LIT(x) x
#define AT(a, i, j) a[(i) * NY + (j)]
#define DOT3(p, q) ((p)[0] * (q)[0] + (p)[1] * (q)[1] + (p)[2] * (q)[2])
#define SQUARE(x) ((x) * (x))
#define CLEAR(a, n) for (int c_ = 0; c_ < (n); c_++) (a)[c_] = LIT(0.0)
#define GRID(name) static REAL name[NX][NY]

#endif
