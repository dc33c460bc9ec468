#include <stdio.h>
#define N 600
#define T 40
double A[N][N], B[N][N], c[N];
void step(void) {
    for (int t = 0; t < T; t++) {
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                B[i][j] = 0.2 * (A[i][j] + A[i][j - 1] + A[i][j + 1] + A[i + 1][j] + A[i - 1][j]);
        c[0] = B[1][1];
        for (int i = 1; i < N; i++)
            c[i] = c[i - 1] * 0.5 + B[i % (N - 1)][1];
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++)
                A[i][j] = 0.2 * (B[i][j] + B[i][j - 1] + B[i][j + 1] + B[i + 1][j] + B[i - 1][j]);
    }
}
int main(void) { step(); printf("%f %f\n", A[3][3], c[N - 1]); return 0; }
