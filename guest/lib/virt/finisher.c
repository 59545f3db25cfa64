// The SiFive test finisher: one store ends the simulation (QEMU: the process exits).
#include "virt.h"

void finisher_exit(int code) {
  mmio_w32(VIRT_FINISHER, code == 0 ? FINISHER_PASS : ((uint32)code << 16) | FINISHER_FAIL);
  for (;;)
    ;
}

void finisher_reset(void) {
  mmio_w32(VIRT_FINISHER, FINISHER_RESET);
  for (;;)
    ;
}
