/* Prints the date it started and its own run time, like most benchmark programs. */
#include <math.h>
#include <stdio.h>
#include <time.h>

static double a[N];

int main(void) {
    time_t now = time(NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    printf("Run started %s", ctime(&now));
    for (int i = 0; i < N; i++)
        a[i] = sin(i * 0.001) * sin(i * 0.001);
    double sum = 0.0;
    for (int r = 0; r < 20; r++)
        for (int i = 0; i < N; i++)
            sum += a[i] * (r + 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("n %d\n", N);
    printf("sum %.10e\n", sum);
    printf("Elapsed time: %.6f s\n", (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec));
    return 0;
}
