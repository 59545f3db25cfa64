// Protocol stress test for the FLASH machine (gem5 memtest style): every hart hammers a few
// shared lines with loads, stores and AMOs, and checks what coherence promises.
//
// Each 128-byte line of `slots` holds 32 words; word j belongs to hart j % nharts, the only one
// that writes it, and each write stores the next value of a per-word counter. So:
//   - a hart reading its own word must see exactly its last write;
//   - a hart reading any word must never see it go backwards (per-location coherence order);
// and at the end every word must hold its owner's last value and every AMO counter the sum of
// all harts' increments: the serial reference. Hart 0 checks that and prints the totals.
// One access in eight also reads a line of a private sweep buffer, so that with small caches the
// shared lines get evicted and written back while other nodes ask for them.
#include "lib.h"

#define LINES 4
#define WORDS (LINES * 32)
#define MAXH 8

volatile uint32 slots[WORDS] __attribute__((aligned(128)));
volatile uint64 amo_ctr[4] __attribute__((aligned(128)));
// Results each hart publishes, one line each so that publishing does not disturb the test.
struct result { uint64 ops, adds, errors; uint32 last[WORDS]; uint64 pad[4]; } __attribute__((aligned(128)));
volatile struct result results[MAXH];
volatile uint32 arrived __attribute__((aligned(128)));
#define SWEEP_LINES 256
volatile uint8 sweep[MAXH][SWEEP_LINES * 128] __attribute__((aligned(128)));

// Accesses per hart; patched by tests through the symbol.
volatile uint64 stress_ops __attribute__((used, section(".params"))) = 20000;

static uint64 rng(uint64 *s) {
  uint64 x = *s;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return *s = x;
}

static void run(uint64 h, uint64 nh) {
  uint32 mine[WORDS] = {0}; // a hart owns WORDS / nharts words, all of them when alone
  uint32 seen[WORDS] = {0};
  uint64 s = 0x9e3779b97f4a7c15ull * (h + 1), ops = stress_ops, adds = 0, errors = 0;
  uint64 owned = 0;
  for (uint64 j = h; j < WORDS; j += nh) owned++;
  for (uint64 i = 0; i < ops; i++) {
    uint64 r = rng(&s);
    uint64 kind = r & 3, w = (r >> 8) % WORDS;
    if (((r >> 40) & 7) == 0) (void)sweep[h][((r >> 44) % SWEEP_LINES) * 128];
    if (kind == 0 && owned > 0) {            // store to an own word
      uint64 k = (r >> 20) % owned, j = h + k * nh;
      slots[j] = ++mine[k];
    } else if (kind == 1 && owned > 0) {     // load an own word: exactly the last write
      uint64 k = (r >> 20) % owned, j = h + k * nh;
      if (slots[j] != mine[k]) errors++;
    } else if (kind == 2) {                  // load any word: never backwards
      uint32 v = slots[w];
      if (v < seen[w]) errors++;
      seen[w] = v;
    } else {                                 // atomic increment
      __atomic_fetch_add(&amo_ctr[(r >> 4) & 3], 1, __ATOMIC_RELAXED);
      adds++;
    }
  }
  for (uint64 k = 0; k < owned; k++) results[h].last[k] = mine[k];
  results[h].ops = ops;
  results[h].adds = adds;
  results[h].errors = errors;
  __atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
}

void secondary_main(uint64 hartid, uint64 dtb, uint64 slice, uint64 nharts) {
  if (hartid < nharts && hartid < MAXH) run(hartid, nharts < MAXH ? nharts : MAXH);
  for (;;) asm volatile("wfi");
}

int main(uint64 hartid, uint64 dtb, uint64 slice, uint64 nharts) {
  uint64 nh = nharts == 0 ? 1 : nharts < MAXH ? nharts : MAXH;
  run(0, nh);
  while (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) != nh) ;
  uint64 ops = 0, adds = 0, errors = 0, amo = 0;
  for (uint64 h = 0; h < nh; h++) {
    ops += results[h].ops; adds += results[h].adds; errors += results[h].errors;
    uint64 k = 0;
    for (uint64 j = h; j < WORDS; j += nh, k++) if (slots[j] != results[h].last[k]) errors++;
  }
  for (int i = 0; i < 4; i++) amo += amo_ctr[i];
  if (amo != adds) errors++;
  printf("stress: %d harts, %lu accesses, %lu atomic adds, %lu errors\n", (int)nh, ops, adds, errors);
  return errors == 0 ? 0 : 1;
}
