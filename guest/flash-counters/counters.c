// A known access pattern for MAGIC's per-page miss counters (4 nodes).
//
// Hart 0 clears .bss at boot (32 store misses to the page from node 0); then hart 1 reads every
// line of one page homed on node 0 (32 misses from node 1), hart 2 reads 8 of them (8 misses from
// node 2), and hart 0 reports. With missThreshold 16, the home raises an event for node 0 and
// one for node 1 on that page. The page is `probe_page`, aligned to 4 KiB.
#include "lib.h"

volatile uint8 probe_page[4096] __attribute__((aligned(4096)));
volatile uint32 done_count __attribute__((aligned(128)));

static void sweep(uint64 lines) {
  uint64 sum = 0;
  for (uint64 i = 0; i < lines; i++) sum += probe_page[i * 128];
  (void)sum;
}

void secondary_main(uint64 hartid, uint64 dtb, uint64 slice, uint64 nharts) {
  if (hartid == 1) sweep(32);
  if (hartid == 2) sweep(8);
  if (hartid == 1 || hartid == 2) __atomic_fetch_add(&done_count, 1, __ATOMIC_SEQ_CST);
  for (;;) asm volatile("wfi");
}

int main(uint64 hartid, uint64 dtb, uint64 slice, uint64 nharts) {
  while (__atomic_load_n(&done_count, __ATOMIC_SEQ_CST) != 2) ;
  printf("counters: probe page at %p\n", probe_page);
  return 0;
}
