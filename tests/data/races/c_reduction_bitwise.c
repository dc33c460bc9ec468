/* reduction(&), reduction(|), reduction(^): bit masks and a checksum. */
#include <stdio.h>

int main(void) {
  unsigned and_m = ~0u, or_m = 0u, xor_m = 0u;
#pragma omp parallel for reduction(& : and_m) reduction(| : or_m) reduction(^ : xor_m)
  for (unsigned i = 1; i < 256; i++) {
    and_m &= i | 0x100u;
    or_m |= i;
    xor_m ^= i * 2654435761u;
  }
  printf("and %x or %x xor %x\n", and_m, or_m, xor_m);
  return 0;
}
