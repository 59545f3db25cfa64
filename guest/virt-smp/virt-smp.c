// Several harts on the virt board (run with --harts 4):
//   IPI ring        hart h's machine software interrupt (CLINT msip) passes a token to hart
//                   h + 1, ROUNDS times round the ring; every hart sleeps in wfi between turns
//   LR/SC lock      every hart adds to a counter under an LR/SC spinlock, and to another with
//                   amoadd; the totals must be exact
//   reservations    hart 1 holds an LR reservation while hart 0 stores: to the reserved word
//                   and to the next word, in its line (of any size), the SC must fail; to another line,
//                   or with no store at all, it must succeed (the reservation survives the
//                   harts' interleaving)
//   code            hart 0 writes a function, hart 1 runs it; hart 0 rewrites it, hart 1 must
//                   run the new one (its decoded copy of the old one must be gone)
//   mtime           hart 0 sets the CLINT's mtime far ahead; every hart's time CSR must follow
//                   (soon: on the FLASH machine the news travels to the other nodes as a message)
#include "lib.h"
#include "riscv.h"
#include "test.h"
#include "virt.h"

#define NHARTS 4
#define ROUNDS 25
#define ADDS 3000

static volatile int arrived, phase, stop;
static volatile uint64 token, received[NHARTS], wrong_target;
static volatile uint32 lock;
static volatile uint64 locked_count, amo_count, done_adds;

// ---- IPI ring ----

uint64 m_trap(uint64 cause, uint64 epc, uint64 tval) {
  uint64 me = r_mhartid();
  if (cause != (CAUSE_INTERRUPT | IRQ_M_SOFT)) {
    printf("virt-smp: hart %ld: unexpected trap mcause 0x%lx mepc 0x%lx mtval 0x%lx\n", me, cause, epc, tval);
    exit(2);
  }
  clint_set_msip(me, 0);
  if (token >= (uint64)ROUNDS * NHARTS)
    return epc; // the wake-up after the last round
  received[me]++;
  for (uint64 h = 0; h < NHARTS; h++)
    if (h != me && mmio_r32(VIRT_CLINT + 4 * h) != 0)
      wrong_target++; // only the next hart may have been signalled, and not yet
  uint64 t = __atomic_add_fetch(&token, 1, __ATOMIC_SEQ_CST);
  if (t < (uint64)ROUNDS * NHARTS)
    clint_set_msip((me + 1) % NHARTS, 1);
  return epc;
}

static void ring_member(void) {
  w_mie(MIE_MSIE);
  CSR_SET(mstatus, MSTATUS_MIE);
  while (token < (uint64)ROUNDS * NHARTS)
    wfi();
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  w_mie(0);
}

// ---- LR/SC ----

static void acquire(volatile uint32 *l) {
  uint32 one = 1, busy;
  do {
    asm volatile("1: lr.w.aq %0, (%1)\n"
                 "   bnez %0, 1b\n"
                 "   sc.w %0, %2, (%1)\n"
                 : "=&r"(busy)
                 : "r"(l), "r"(one)
                 : "memory");
  } while (busy);
}

static void release(volatile uint32 *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

static void adder(void) {
  for (int i = 0; i < ADDS; i++) {
    acquire(&lock);
    locked_count = locked_count + 1; // plain load and store: only the lock makes this exact
    release(&lock);
    __atomic_fetch_add(&amo_count, 1, __ATOMIC_RELAXED);
  }
  __atomic_fetch_add(&done_adds, 1, __ATOMIC_SEQ_CST);
}

// The reserved word and its line; `other` is in another line. The reservation granule is the
// cache line (64 bytes on the virt board, the configured line on FLASH): a page apart, and the
// next word, are another and the same granule for any line from 16 bytes to a page.
static volatile uint64 line[8] __attribute__((aligned(4096)));
static volatile uint64 other[8] __attribute__((aligned(4096)));
static volatile int lr_held, stored;

// Hart 1: LR, wait for hart 0's move (long enough for many interleaving turns), SC.
static uint64 lr_wait_sc(void) {
  uint64 v, fail;
  asm volatile("lr.d %0, (%1)" : "=r"(v) : "r"(&line[0]) : "memory");
  lr_held = 1;
  while (!stored)
    ;
  for (volatile int i = 0; i < 20000; i++) // and more turns of the other harts
    ;
  asm volatile("sc.d %0, %2, (%1)" : "=r"(fail) : "r"(&line[0]), "r"(v + 1) : "memory");
  return fail;
}

// ---- code ----

// A page of its own: the page holding HTIF's tohost is never cached by the harts at all.
static uint32 code[1024] __attribute__((aligned(4096)));
typedef uint64 (*fn_t)(void);
static volatile uint64 ran_value;
static volatile int code_ready, code_ran;

static void write_function(int value) {
  code[0] = 0x00000513u | ((uint32)value << 20); // addi a0, zero, value
  code[1] = 0x00008067u;                         // ret
}

static void run_function(void) {
  asm volatile("fence.i" ::: "memory");
  ran_value = ((fn_t)(uint64)code)();
}

// ---- the secondary harts ----

static void wait_phase(int p) {
  while (phase < p)
    ;
}

// ---- mtime ----

#define MTIME_AHEAD 1000000000UL
static volatile uint64 mtime_target, time_seen[NHARTS], time_done;

// Wait, a bounded while, for this hart's time CSR to reach the new mtime; keep what it read.
static void time_follows(uint64 me) {
  uint64 t = 0;
  for (int i = 0; i < 100000 && (t = r_time()) < mtime_target; i++)
    ;
  time_seen[me] = t;
  __atomic_fetch_add(&time_done, 1, __ATOMIC_SEQ_CST);
}

void secondary_main(uint64 hartid) {
  w_mtvec((uint64)virt_mtrap_entry);
  __atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
  wait_phase(1);
  ring_member();
  wait_phase(2);
  adder();
  if (hartid == 1) {
    for (int round = 3; round <= 6; round++) { // the four reservation cases
      wait_phase(round);
      uint64 fail = lr_wait_sc();
      line[1] = fail; // report
      lr_held = 0;
      __atomic_store_n(&stored, 2, __ATOMIC_SEQ_CST);
    }
    for (int round = 7; round <= 8; round++) {
      wait_phase(round);
      while (!code_ready)
        ;
      run_function();
      code_ready = 0;
      code_ran = 1;
    }
  }
  wait_phase(9);
  time_follows(hartid);
  while (!stop)
    wfi();
  for (;;)
    wfi();
}

// Hart 0's side of one reservation case: `what` says where it stores while hart 1 holds it.
static uint64 reservation_case(int round, volatile uint64 *where) {
  stored = 0;
  lr_held = 0;
  phase = round;
  while (!lr_held)
    ;
  if (where)
    *where = 12345;
  stored = 1;
  while (stored != 2)
    ;
  return line[1];
}

int main(uint64 hartid) {
  uart_console();
  w_mtvec((uint64)virt_mtrap_entry);
  printf("virt-smp: %d harts\n", NHARTS);
  while (arrived < NHARTS - 1)
    ;

  test_begin("IPI ring");
  phase = 1;
  clint_set_msip(1, 1);
  ring_member();
  for (int h = 1; h < NHARTS; h++) // the others may sleep on: wake them to see the end
    clint_set_msip(h, 1);
  for (int h = 0; h < NHARTS; h++)
    CHECK_EQ(received[h], ROUNDS);
  CHECK_EQ(token, ROUNDS * NHARTS);
  CHECK_EQ(wrong_target, 0);
  test_end();

  test_begin("LR/SC lock and AMOs");
  phase = 2;
  adder();
  while (done_adds < NHARTS)
    ;
  CHECK_EQ(locked_count, NHARTS * ADDS);
  CHECK_EQ(amo_count, NHARTS * ADDS);
  test_end();

  test_begin("reservations");
  CHECK_EQ(reservation_case(3, &line[0]), 1); // the reserved word: SC fails
  CHECK_EQ(reservation_case(4, &line[1]), 1); // the same line: SC fails
  CHECK_EQ(reservation_case(5, &other[0]), 0); // another line: SC succeeds
  CHECK_EQ(reservation_case(6, 0), 0);         // no store: SC succeeds
  test_end();

  test_begin("code written by another hart");
  write_function(111);
  phase = 7;
  code_ready = 1;
  while (!code_ran)
    ;
  CHECK_EQ(ran_value, 111);
  code_ran = 0;
  write_function(222);
  phase = 8;
  code_ready = 1;
  while (!code_ran)
    ;
  CHECK_EQ(ran_value, 222);
  test_end();

  test_begin("mtime set by software");
  mtime_target = clint_mtime() + MTIME_AHEAD;
  mmio_w64(VIRT_CLINT + 0xbff8, mtime_target);
  phase = 9;
  time_follows(0);
  while (time_done < NHARTS)
    ;
  for (int h = 0; h < NHARTS; h++) {
    CHECK(time_seen[h] >= mtime_target);
    CHECK(time_seen[h] < mtime_target + 1000000);
  }
  test_end();

  stop = 1;
  return test_finish("virt-smp");
}
