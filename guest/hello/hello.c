// The smallest useful image: proves the runtime, console and exit path work.
#include "lib.h"

int main(void) {
  printf("hello from flashdisco guest: %d %u %x %lx %ld %s %c %p [%5d] [%-5d] [%05d] [%08lx]\n", -42,
         42u, 0xbeefu, 0x123456789abcdefUL, -1234567890123L, "str", 'c', (void *)0x80000000UL, 7, 7,
         -7, 0xabcUL);
  return 0;
}
