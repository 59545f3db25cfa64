// NUMA page migration under the monitor (docs/numa.md), run with two harts: hart 0 fills an
// array larger than a small L2, so its pages are first touched on hart 0's node; then hart 1
// sweeps it again and again, reading and adding one to every word, so that its misses dominate
// every page and the monitor's migrate policy moves the pages to hart 1's node while the sweeps
// go on. No value may be lost or seen twice across a move: hart 1 sums what it reads, and hart 0
// checks the sum and every word at the end. The program passes natively and under any policy.
#include "lib.h"
#include "riscv.h"
#include "test.h"
#include "virt.h"

#define WORDS (256 * 1024 / 8)
#define SWEEPS 16

static uint64 data[WORDS] __attribute__((aligned(4096)));
static volatile int phase;
static volatile uint64 swept_sum;

static uint64 value(uint64 i) { return i * 0x9e3779b97f4a7c15UL; }

void secondary_main(uint64 hartid) {
  w_mtvec((uint64)virt_mtrap_entry);
  if (hartid != 1)
    for (;;)
      wfi();
  while (phase < 1)
    ;
  uint64 s = 0;
  for (int k = 0; k < SWEEPS; k++)
    for (uint64 i = 0; i < WORDS; i++) {
      uint64 v = data[i];
      s += v;
      data[i] = v + 1;
    }
  swept_sum = s;
  __sync_synchronize();
  phase = 2;
  for (;;)
    wfi();
}

int main(uint64 hartid) {
  uart_console();
  w_mtvec((uint64)virt_mtrap_entry);
  printf("numa-migrate: hart 1 sweeps %d KiB %d times\n", (int)(sizeof(data) / 1024), SWEEPS);
  uint64 want = 0;
  for (uint64 i = 0; i < WORDS; i++) {
    data[i] = value(i);
    for (uint64 k = 0; k < SWEEPS; k++)
      want += value(i) + k;
  }
  __sync_synchronize();
  phase = 1;
  while (phase < 2)
    ;
  test_begin("sweeps");
  CHECK_EQ(swept_sum, want);
  uint64 wrong = 0;
  for (uint64 i = 0; i < WORDS; i++)
    wrong += data[i] != value(i) + SWEEPS;
  CHECK_EQ(wrong, 0);
  test_end();
  return test_finish("numa-migrate");
}
