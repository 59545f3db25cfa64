// PLIC: priorities, per-context enables and thresholds, claim and complete.
#include "virt.h"

uint64 plic_base = VIRT_PLIC;

void plic_init(uint64 base) { plic_base = base; }
void plic_priority(int src, int prio) { mmio_w32(plic_base + 4 * src, prio); }
uint32 plic_pending(int word) { return mmio_r32(plic_base + 0x1000 + 4 * word); }

void plic_enable(int ctx, int src, int on) {
  uint64 a = plic_base + 0x2000 + 0x80 * ctx + 4 * (src / 32);
  uint32 bit = 1u << (src % 32);
  mmio_w32(a, on ? mmio_r32(a) | bit : mmio_r32(a) & ~bit);
}

void plic_threshold(int ctx, int t) { mmio_w32(plic_base + 0x200000 + 0x1000 * ctx, t); }
int plic_claim(int ctx) { return mmio_r32(plic_base + 0x200004 + 0x1000 * ctx); }
void plic_complete(int ctx, int src) { mmio_w32(plic_base + 0x200004 + 0x1000 * ctx, src); }
