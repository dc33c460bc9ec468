/* A CMake project whose parallel loop updates a shared counter without protection. */
#include <stdio.h>

static long hits;

int main(void)
{
#pragma omp parallel for
    for (int i = 0; i < 100000; i++)
        if (i % 3 == 0)
            hits++;
    printf("%ld\n", hits);
    return 0;
}
