// Timer interrupts at the right simulated time, on the virt board (10 MHz timebase, 1 GHz hart:
// one tick is 100 cycles). For each delay d the program sets a compare value d ticks ahead and
// records the time as the first thing its handler does; the interrupt must arrive at the
// compare value, give or take the one tick the trap entry costs:
//   CLINT mtimecmp, machine timer, hart asleep in wfi      (the board skips the idle time)
//   CLINT mtimecmp, machine timer, hart busy in a loop     (the board cuts the run at the event)
//   Sstc stimecmp, supervisor timer, in S-mode, asleep
//   a compare value already in the past: at once
// Each line prints "fired at +N" for a delay of d ticks.
#include "lib.h"
#include "priv.h"
#include "riscv.h"
#include "test.h"
#include "virt.h"

static volatile uint64 fired, fired_at;

static int m_hook(struct trapframe *tf, uint64 cause) {
  if (cause != (CAUSE_INTERRUPT | IRQ_M_TIMER))
    return 0;
  fired_at = clint_mtime();
  fired++;
  clint_set_mtimecmp(0, ~0UL);
  return 1;
}

static int s_hook(struct trapframe *tf, uint64 cause) {
  if (cause != (CAUSE_INTERRUPT | IRQ_S_TIMER))
    return 0;
  fired_at = r_time();
  fired++;
  w_stimecmp(~0UL);
  return 1;
}

static void expect_on_time(const char *how, uint64 d, uint64 target) {
  int64 late = (int64)(fired_at - target);
  printf("    %-6s +%-7ld ticks: fired at +%ld\n", how, d, fired_at - (target - d));
  CHECK_EQ(fired, 1);
  CHECK(late >= 0 && late <= 1);
}

static void m_timer(uint64 d, int asleep) {
  trap_clear();
  fired = 0;
  uint64 target = clint_mtime() + d;
  clint_set_mtimecmp(0, target);
  w_mie(MIE_MTIE);
  CSR_SET(mstatus, MSTATUS_MIE);
  uint64 spins = 0;
  while (!fired) {
    if (asleep)
      wfi();
    else
      spins++;
  }
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  w_mie(0);
  expect_on_time(asleep ? "wfi" : "busy", d, target);
  if (!asleep)
    CHECK(spins > 0);
}

// In S-mode (run_in_mode): Sstc timer d ticks ahead, asleep; returns how late it was.
static uint64 s_timer(uint64 d) {
  fired = 0;
  uint64 target = r_time() + d;
  w_stimecmp(target);
  w_sie(SIE_STIE);
  CSR_SET(sstatus, MSTATUS_SIE);
  while (!fired)
    wfi();
  CSR_CLEAR(sstatus, MSTATUS_SIE);
  w_sie(0);
  return target;
}

int main(uint64 hartid) {
  uart_console();
  trap_init();
  printf("virt-timer: timer interrupts at their compare values\n");
  static const uint64 delays[] = {1, 10, 1000, 2500, 100000, 1000000}; // up to 0.1 s
  static const uint64 busy_delays[] = {1, 10, 1000, 2500, 10000};       // spinning costs real time
  mtrap_hook = m_hook;

  test_begin("CLINT, asleep");
  for (int i = 0; i < (int)NELEM(delays); i++)
    m_timer(delays[i], 1);
  test_end();

  test_begin("CLINT, busy");
  for (int i = 0; i < (int)NELEM(busy_delays); i++)
    m_timer(busy_delays[i], 0);
  test_end();

  test_begin("CLINT, already due");
  trap_clear();
  fired = 0;
  clint_set_mtimecmp(0, clint_mtime() - 5);
  w_mie(MIE_MTIE);
  CSR_SET(mstatus, MSTATUS_MIE);
  asm volatile("nop");
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  w_mie(0);
  CHECK_EQ(fired, 1);
  test_end();

  test_begin("Sstc, S-mode, asleep");
  w_menvcfg(r_menvcfg() | MENVCFG_STCE);
  w_mcounteren(COUNTEREN_TM);
  w_mideleg(MIP_STIP);
  strap_hook = s_hook;
  for (int i = 0; i < (int)NELEM(delays); i++) {
    trap_clear();
    uint64 target = run_in_mode(PRV_S, s_timer, delays[i]);
    expect_on_time("sstc", delays[i], target);
  }
  test_end();
  return test_finish("virt-timer");
}
