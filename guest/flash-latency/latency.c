// Miss latencies of the FLASH machine, measured by the guest with rdcycle (4 nodes, 2x2 mesh).
//
// Hart 0 loads, each once and with nothing else going on: a line homed on its own node (local
// miss), a line homed on node 1 (remote clean miss), and a line homed on node 1 that hart 2 has
// written (remote dirty miss: requester 0 -> home 1 -> owner 2 -> requester 0). Each time minus
// the time of an L1 hit is the miss latency, printed for the test to compare with the
// configuration. Other harts idle in wfi so nothing else is on the network.
#include "lib.h"

volatile uint32 dirty_done __attribute__((aligned(128)));

static inline uint64 rdcycle(void) {
  uint64 c;
  asm volatile("rdcycle %0" : "=r"(c));
  return c;
}

// One load between two rdcycles; noinline and aligned so its code sits in one warm line.
__attribute__((noinline, aligned(64))) static uint64 timed_load(volatile uint64 *p) {
  uint64 t0 = rdcycle();
  (void)*p;
  uint64 t1 = rdcycle();
  return t1 - t0;
}

static volatile uint64 *line_on(uint64 node, uint64 slice, uint64 offset) {
  return (volatile uint64 *)(0x80000000ull + node * slice + offset);
}

void secondary_main(uint64 hartid, uint64 dtb, uint64 slice, uint64 nharts) {
  if (hartid == 2) {
    *line_on(1, slice, slice / 2 + 256) = 42;   // take the line dirty
    __atomic_store_n(&dirty_done, 1, __ATOMIC_SEQ_CST);
  }
  for (;;) asm volatile("wfi");
}

int main(uint64 hartid, uint64 dtb, uint64 slice, uint64 nharts) {
  if (nharts != 4 || slice == 0) {
    printf("latency: needs a 4-node FLASH machine\n");
    return 2;
  }
  volatile uint64 *local = line_on(0, slice, slice / 2);
  volatile uint64 *remote = line_on(1, slice, slice / 2);
  volatile uint64 *dirty = line_on(1, slice, slice / 2 + 256);
  while (__atomic_load_n(&dirty_done, __ATOMIC_SEQ_CST) == 0) ;
  for (volatile int i = 0; i < 2000; i++) ;     // let the network drain
  (void)*local;
  timed_load(local);                            // warm the code and the line
  uint64 hit = timed_load(local);
  uint64 l = timed_load(local + 64);            // next line, same page, never touched
  uint64 r = timed_load(remote);
  uint64 d = timed_load(dirty);
  printf("latency: hit %lu local %lu remote %lu dirty %lu\n", hit, l - hit, r - hit, d - hit);
  return 0;
}
