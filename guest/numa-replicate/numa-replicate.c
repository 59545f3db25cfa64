// NUMA page replication under the monitor (docs/numa.md), run with four harts: hart 0 fills a
// table larger than a small L2, so its pages are first touched on hart 0's node; harts 1, 2 and
// 3 then read all of it again and again and write none of it, so that the monitor's replicate
// policy gives each of their nodes a copy of every page. Then hart 2 adds one to every word
// (each write must first collapse the page's copies into one), and harts 1 and 3 read the table
// once more: they must see every new value, never a stale copy. Hart 0 checks every sum. The
// program passes natively and under any policy.
#include "lib.h"
#include "riscv.h"
#include "test.h"
#include "virt.h"

#define NHARTS 4
#define WORDS (256 * 1024 / 8)
#define SWEEPS 8

static uint64 table[WORDS] __attribute__((aligned(4096)));
static volatile int phase, done[NHARTS] __attribute__((aligned(64)));
static volatile uint64 sums[NHARTS], after[NHARTS];

static uint64 value(uint64 i) { return i * 0x9e3779b97f4a7c15UL ^ (i >> 3); }

static uint64 sweep(void) {
  uint64 s = 0;
  for (uint64 i = 0; i < WORDS; i++)
    s += table[i];
  return s;
}

static void wait_phase(int p) {
  while (phase < p)
    ;
}

void secondary_main(uint64 hartid) {
  w_mtvec((uint64)virt_mtrap_entry);
  if (hartid >= NHARTS)
    for (;;)
      wfi();
  wait_phase(1);
  uint64 s = 0;
  for (int k = 0; k < SWEEPS; k++)
    s += sweep();
  sums[hartid] = s;
  __sync_synchronize();
  done[hartid] = 1;
  if (hartid == 2) {
    wait_phase(2);
    for (uint64 i = 0; i < WORDS; i++)
      table[i] += 1;
    __sync_synchronize();
    done[hartid] = 2;
  } else {
    wait_phase(3);
    after[hartid] = sweep();
    __sync_synchronize();
    done[hartid] = 3;
  }
  for (;;)
    wfi();
}

int main(uint64 hartid) {
  uart_console();
  w_mtvec((uint64)virt_mtrap_entry);
  printf("numa-replicate: harts 1-3 read %d KiB %d times, then hart 2 writes it\n", (int)(sizeof(table) / 1024), SWEEPS);
  uint64 base = 0;
  for (uint64 i = 0; i < WORDS; i++) {
    table[i] = value(i);
    base += value(i);
  }
  __sync_synchronize();
  phase = 1;
  for (int h = 1; h < NHARTS; h++)
    while (done[h] < 1)
      ;
  phase = 2;
  while (done[2] < 2)
    ;
  phase = 3;
  while (done[1] < 3 || done[3] < 3)
    ;
  test_begin("read by three");
  for (int h = 1; h < NHARTS; h++)
    CHECK_EQ(sums[h], base * SWEEPS);
  test_end();
  test_begin("written by one, read by the others");
  CHECK_EQ(after[1], base + WORDS);
  CHECK_EQ(after[3], base + WORDS);
  uint64 wrong = 0;
  for (uint64 i = 0; i < WORDS; i++)
    wrong += table[i] != value(i) + 1;
  CHECK_EQ(wrong, 0);
  test_end();
  return test_finish("numa-replicate");
}
