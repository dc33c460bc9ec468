/* Never ends. */
#include <stdio.h>
int main(void) { volatile unsigned long x = 0; puts("spinning"); fflush(stdout); for (;;) x++; return 0; }
