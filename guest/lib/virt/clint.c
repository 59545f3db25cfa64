// CLINT access for M-mode code (the firmware and the board tests).
#include "virt.h"

uint64 clint_mtime(void) { return mmio_r64(VIRT_CLINT + 0xbff8); }
void clint_set_mtimecmp(uint64 hart, uint64 when) { mmio_w64(VIRT_CLINT + 0x4000 + 8 * hart, when); }
void clint_set_msip(uint64 hart, int on) { mmio_w32(VIRT_CLINT + 4 * hart, on ? 1 : 0); }
