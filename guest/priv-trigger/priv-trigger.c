// M-mode test of the Sdtrig trigger module (RISC-V debug specification 1.0, chapter 5): the
// hardware breakpoints that software sets through tselect, tdata1-3, tinfo and tcontrol.
//
// Written to the specification, so that it also runs on other harts: what the specification
// leaves to the implementation (how many triggers, which types and match kinds, whether hit,
// timing and select are writable, whether mtval gets the address, whether M-mode triggers also
// wait for mstatus.MIE, tcontrol and mcontext at all) is probed, printed on a line starting with
// four spaces, and then tested as found. flashdisco's test checks those lines too.
//
// M-mode triggers with action 0 could fire inside the trap handler; a hart that has tcontrol
// keeps them off there (mte is cleared on the trap), and every trigger here watches an address
// only the probes use (trigger-probes.S).
#include "priv.h"
#include "test.h"

// ---- The trigger CSRs (by number: clang 14's assembler does not know them all) ----

static inline uint64 r_tselect(void) { uint64 x; asm volatile("csrr %0, 0x7a0" : "=r"(x)); return x; }
static inline void w_tselect(uint64 x) { asm volatile("csrw 0x7a0, %0" : : "r"(x)); }
static inline uint64 r_tdata1(void) { uint64 x; asm volatile("csrr %0, 0x7a1" : "=r"(x)); return x; }
static inline void w_tdata1(uint64 x) { asm volatile("csrw 0x7a1, %0" : : "r"(x)); }
static inline uint64 r_tdata2(void) { uint64 x; asm volatile("csrr %0, 0x7a2" : "=r"(x)); return x; }
static inline void w_tdata2(uint64 x) { asm volatile("csrw 0x7a2, %0" : : "r"(x)); }
static inline uint64 r_tdata3(void) { uint64 x; asm volatile("csrr %0, 0x7a3" : "=r"(x)); return x; }
static inline void w_tdata3(uint64 x) { asm volatile("csrw 0x7a3, %0" : : "r"(x)); }
static inline uint64 r_tinfo(void) { uint64 x = 0; asm volatile("csrr %0, 0x7a4" : "+r"(x)); return x; }
static inline uint64 r_tcontrol(void) { uint64 x = 0; asm volatile("csrr %0, 0x7a5" : "+r"(x)); return x; }
static inline void w_tcontrol(uint64 x) { asm volatile("csrw 0x7a5, %0" : : "r"(x)); }
static inline uint64 r_mcontext(void) { uint64 x = 0; asm volatile("csrr %0, 0x7a8" : "+r"(x)); return x; }
static inline void w_mcontext(uint64 x) { asm volatile("csrw 0x7a8, %0" : : "r"(x)); }

#define TYPE(t) ((uint64)(t) << 60)
#define TYPE_OF(v) ((v) >> 60)
#define DMODE (1ULL << 59)
// mcontrol (type 2) and mcontrol6 (type 6) share these fields...
#define MATCH(m) ((uint64)(m) << 7)
#define MATCH_OF(v) (((v) >> 7) & 15)
#define CHAIN (1ULL << 11)
#define MODE_M (1ULL << 6)
#define MODE_S (1ULL << 4)
#define MODE_U (1ULL << 3)
#define EXECUTE (1ULL << 2)
#define STORE (1ULL << 1)
#define LOAD (1ULL << 0)
// ...but not these.
#define MC_HIT (1ULL << 20)
#define MC_SELECT (1ULL << 19)
#define MC_TIMING (1ULL << 18)
#define MC6_HIT0 (1ULL << 22)
#define MC6_SELECT (1ULL << 21)
#define HIT(t) ((t) == 2 ? MC_HIT : MC6_HIT0)
#define SELECT(t) ((t) == 2 ? MC_SELECT : MC6_SELECT)

#define MATCH_NAPOT 1
#define MATCH_GE 2
#define MATCH_LT 3

#define TCONTROL_MTE (1ULL << 3)
#define TCONTROL_MPTE (1ULL << 7)
#define TEXTRA_MHSELECT_MCONTEXT (4ULL << 48)
#define TEXTRA_MHVALUE(v) ((uint64)(v) << 51)

#define CAUSE_BIT(c) (1ULL << (c))

// ---- Probes (trigger-probes.S) ----

#include "probes.h"
DECLARE_PROBE(trig_exec);
DECLARE_PROBE(trig_cexec);
DECLARE_PROBE(trig_lw);
DECLARE_PROBE(trig_lbu);
extern uint64 trig_sw(uint64 addr, uint64 value);
extern uint64 trig_amoadd(uint64 addr, uint64 value);
extern char trig_sw_site[], trig_amoadd_site[];
extern uint64 trig_sw_after(uint64 addr, uint64 value);
extern uint64 trig_lw_after(uint64 addr);
extern char trig_sw_after_next[], trig_lw_after_site[], trig_lw_after_next[];

// Words that only the probes touch, so that a trigger on them fires nowhere else.
static volatile uint32 data[16] __attribute__((aligned(64)));
#define DATA(i) ((uint64)&data[i])

// ---- What the hart has ----

static struct {
  int ntrig;
  uint64 tinfo;
  int has_tinfo, has_tcontrol, has_mcontext;
  int types[2], ntypes;
  int tval_addr; // mtval holds the address that matched (else 0)
  int tval_known;
} hw;

static int csr_traps(void) { return mtrap.count != 0 && mtrap.cause == CAUSE_ILLEGAL_INSTRUCTION; }

// ---- Helpers ----

// M-mode triggers fire only with tcontrol.mte set where tcontrol exists, and may also need
// mstatus.MIE (no interrupt is enabled in mie, so MIE itself lets nothing in).
static void arm_m(void) {
  if (hw.has_tcontrol)
    w_tcontrol(TCONTROL_MTE);
  CSR_SET(mstatus, MSTATUS_MIE);
}

// A trigger of `type` that matches nothing: how the tests switch one off.
static void quiet(int i, int type) {
  w_tselect(i);
  w_tdata1(TYPE(type));
}

static void quiet_all(void) {
  for (int i = 0; i < hw.ntrig; i++)
    quiet(i, hw.types[0]);
}

// Sets trigger i as a debugger does: off, then tdata2, then tdata1. Returns tdata1 read back.
static uint64 set_trigger(int i, uint64 tdata1, uint64 tdata2) {
  quiet(i, hw.types[0]);
  w_tdata2(tdata2);
  w_tdata1(tdata1);
  return r_tdata1();
}

static uint64 run(int priv, probe_fn f, uint64 arg) {
  return priv == PRV_M ? f(arg) : run_in_mode(priv, f, arg);
}

static int tval_ok(uint64 tval, uint64 addr) {
  if (!hw.tval_known) {
    hw.tval_known = 1;
    hw.tval_addr = tval == addr;
    printf("    tval: %s\n", hw.tval_addr ? "address" : tval == 0 ? "zero" : "other");
  }
  return tval == (hw.tval_addr ? addr : 0);
}

// Runs f(arg) at `priv`, expecting exactly one breakpoint into M-mode from `priv` at `epc`
// with the address `addr` in mtval. Returns what f returned.
static uint64 expect_bp(int line, const char *what, int priv, probe_fn f, uint64 arg, const void *epc,
                        uint64 addr) {
  trap_clear();
  uint64 r = run(priv, f, arg);
  int ok = mtrap.count == 1 && mtrap.cause == CAUSE_BREAKPOINT && mtrap.epc == (uint64)epc &&
           mtrap.prev == priv && tval_ok(mtrap.tval, addr);
  check_true(line, what, ok);
  if (!ok)
    printf("      traps %ld, mcause 0x%lx, mepc 0x%lx (want %p), mtval 0x%lx (want 0x%lx), from %d\n",
           mtrap.count, mtrap.cause, mtrap.epc, epc, mtrap.tval, addr, mtrap.prev);
  return r;
}

static uint64 expect_none(int line, const char *what, int priv, probe_fn f, uint64 arg) {
  trap_clear();
  uint64 r = run(priv, f, arg);
  check_true(line, what, mtrap.count == 0 && strap.count == 0);
  if (mtrap.count || strap.count)
    printf("      unexpected trap: mcause 0x%lx mepc 0x%lx / scause 0x%lx sepc 0x%lx\n", mtrap.cause,
           mtrap.epc, strap.cause, strap.epc);
  return r;
}

#define EXPECT_BP(priv, f, arg, epc, addr)                                                       \
  expect_bp(__LINE__, #f "(" #arg ") in " #priv " hits a breakpoint", priv, (probe_fn)f,        \
            (uint64)(arg), epc, (uint64)(addr))
#define EXPECT_NONE(priv, f, arg)                                                                \
  expect_none(__LINE__, #f "(" #arg ") in " #priv " runs without a trap", priv, (probe_fn)f,    \
              (uint64)(arg))

// After-timing breakpoints: resume at the instruction in mepc (the one after the access).
static int resume_at_epc(struct trapframe *tf, uint64 cause) {
  (void)tf;
  return cause == CAUSE_BREAKPOINT;
}

// ---- Tests ----

static void test_enumerate(void) {
  test_begin("tselect/tinfo");
  trap_clear();
  w_tselect(0);
  uint64 sel = r_tselect();
  if (csr_traps() || sel != 0) {
    printf("    no trigger CSRs\n");
    CHECK(0);
    test_end();
    return;
  }
  trap_clear();
  hw.tinfo = r_tinfo();
  hw.has_tinfo = !csr_traps();
  // tselect counts up until a write does not stick (or tinfo says there is nothing there).
  int n = 0;
  while (n < 64) {
    w_tselect(n);
    if (r_tselect() != (uint64)n)
      break;
    if (hw.has_tinfo && (r_tinfo() & 0xffff) == 1)
      break;
    n++;
  }
  hw.ntrig = n;
  CHECK(n >= 1);
  // tselect is WARL: a value past the last trigger reads back as one that exists.
  w_tselect(n);
  CHECK(r_tselect() < (uint64)n);
  w_tselect(~0UL);
  CHECK(r_tselect() < (uint64)n);
  w_tselect(0);
  if (hw.has_tinfo) {
    if ((hw.tinfo >> 2) & 1)
      hw.types[hw.ntypes++] = 2;
    if ((hw.tinfo >> 6) & 1)
      hw.types[hw.ntypes++] = 6;
  } else {
    // Without tinfo, a type is supported when it reads back.
    for (int t = 2; t <= 6; t += 4) {
      w_tdata1(TYPE(t));
      if (TYPE_OF(r_tdata1()) == (uint64)t)
        hw.types[hw.ntypes++] = t;
    }
  }
  CHECK(hw.ntypes > 0);
  printf("    %d triggers, tinfo %s0x%lx\n", n, hw.has_tinfo ? "" : "absent ", hw.tinfo);
  // Every trigger shows the same types.
  for (int i = 0; i < n && hw.has_tinfo; i++) {
    w_tselect(i);
    CHECK_EQ(r_tinfo(), hw.tinfo);
  }
  trap_clear();
  (void)r_tcontrol();
  hw.has_tcontrol = !csr_traps();
  trap_clear();
  (void)r_mcontext();
  hw.has_mcontext = !csr_traps();
  test_end();
}

static void test_tdata1(void) {
  test_begin("tdata1 WARL");
  for (int k = 0; k < hw.ntypes; k++) {
    int t = hw.types[k];
    // dmode is writable only from debug mode.
    uint64 v = set_trigger(0, TYPE(t) | DMODE | MODE_M | EXECUTE, (uint64)trig_exec_site);
    CHECK_EQ(TYPE_OF(v), t);
    CHECK_EQ(v & DMODE, 0);
    CHECK_EQ(v & (MODE_M | EXECUTE | STORE | LOAD), MODE_M | EXECUTE);
    CHECK_EQ(r_tdata2(), (uint64)trig_exec_site);
  }
  // What riscv-tests' breakpoint.S writes, and expects to read back if mcontrol is there.
  if (hw.types[0] == 2) {
    uint64 want[] = {TYPE(2) | MODE_M | EXECUTE, TYPE(2) | MODE_M | LOAD, TYPE(2) | MODE_M | STORE};
    for (int k = 0; k < 3; k++)
      CHECK_EQ(set_trigger(0, want[k], DATA(0)), want[k]);
  }
  if (hw.has_tinfo && ((hw.tinfo >> 15) & 1)) {
    // Type 15: the trigger exists but is disabled.
    uint64 v = set_trigger(0, TYPE(15) | MODE_M | EXECUTE, (uint64)trig_exec_site);
    CHECK_EQ(TYPE_OF(v), 15);
    arm_m();
    CHECK_EQ(EXPECT_NONE(PRV_M, trig_exec, 5), 6);
    // A type that tinfo does not list (tdata1 is WARL, so the write is legal; a hart without
    // type 15 has nowhere defined to put it, and QEMU 7.2 aborts on it): whatever type the
    // trigger became, it must not fire.
    int odd = 0;
    for (int t = 1; t < 15 && !odd; t++)
      if (!((hw.tinfo >> t) & 1))
        odd = t;
    v = set_trigger(0, TYPE(odd) | MODE_M | MODE_S | MODE_U | EXECUTE, (uint64)trig_exec_site);
    printf("    unsupported type %d reads as type %ld\n", odd, TYPE_OF(v));
    CHECK(TYPE_OF(v) == 0 || ((hw.tinfo >> TYPE_OF(v)) & 1));
    arm_m();
    CHECK_EQ(EXPECT_NONE(PRV_M, trig_exec, 5), 6);
  }
  quiet_all();
  test_end();
}

static void test_execute(void) {
  test_begin("execute");
  for (int k = 0; k < hw.ntypes; k++) {
    int t = hw.types[k];
    // Every trigger, in M-mode: the breakpoint is taken before the instruction, which the
    // handler then skips.
    for (int i = 0; i < hw.ntrig; i++) {
      set_trigger(i, TYPE(t) | MODE_M | EXECUTE, (uint64)trig_exec_site);
      arm_m();
      CHECK_EQ(EXPECT_BP(PRV_M, trig_exec, 5, trig_exec_site, trig_exec_site), 5);
      quiet(i, t);
    }
    set_trigger(0, TYPE(t) | MODE_M | EXECUTE, (uint64)trig_cexec_site);
    arm_m();
    CHECK_EQ(EXPECT_BP(PRV_M, trig_cexec, 5, trig_cexec_site, trig_cexec_site), 5);
    // The privilege bits.
    set_trigger(0, TYPE(t) | MODE_S | MODE_U | EXECUTE, (uint64)trig_exec_site);
    arm_m();
    CHECK_EQ(EXPECT_NONE(PRV_M, trig_exec, 5), 6);
    set_trigger(0, TYPE(t) | MODE_U | EXECUTE, (uint64)trig_exec_site);
    CHECK_EQ(EXPECT_BP(PRV_U, trig_exec, 5, trig_exec_site, trig_exec_site), 5);
    CHECK_EQ(EXPECT_NONE(PRV_S, trig_exec, 5), 6);
    set_trigger(0, TYPE(t) | MODE_S | EXECUTE, (uint64)trig_exec_site);
    EXPECT_BP(PRV_S, trig_exec, 5, trig_exec_site, trig_exec_site);
    set_trigger(0, TYPE(t) | MODE_M | MODE_S | EXECUTE, (uint64)trig_exec_site);
    CHECK_EQ(EXPECT_NONE(PRV_U, trig_exec, 5), 6);
    // Breakpoints delegated to S: a U-mode trigger traps into S.
    set_trigger(0, TYPE(t) | MODE_U | EXECUTE, (uint64)trig_exec_site);
    w_medeleg(CAUSE_BIT(CAUSE_BREAKPOINT));
    trap_clear();
    CHECK_EQ(run_in_mode(PRV_U, trig_exec, 5), 5);
    CHECK_EQ(mtrap.count, 0);
    CHECK_EQ(strap.count, 1);
    CHECK_EQ(strap.cause, CAUSE_BREAKPOINT);
    CHECK_EQ(strap.epc, (uint64)trig_exec_site);
    CHECK_EQ(strap.tval, hw.tval_addr ? (uint64)trig_exec_site : 0);
    w_medeleg(0);
    // An address nothing runs from does not match.
    set_trigger(0, TYPE(t) | MODE_M | MODE_S | MODE_U | EXECUTE, DATA(0));
    arm_m();
    CHECK_EQ(EXPECT_NONE(PRV_M, trig_exec, 5), 6);
    CHECK_EQ(EXPECT_NONE(PRV_U, trig_exec, 5), 6);
    quiet(0, t);
  }
  test_end();
}

static void test_load_store(void) {
  test_begin("load/store");
  // Words 8 bytes apart: a trigger of any size may watch the 8 bytes from its address on.
  const uint64 w = DATA(2), other = DATA(4), w2 = DATA(6);
  for (int k = 0; k < hw.ntypes; k++) {
    int t = hw.types[k];
    data[2] = 0x11;
    data[4] = 0x22;
    set_trigger(0, TYPE(t) | MODE_M | LOAD, w);
    arm_m();
    CHECK_EQ(EXPECT_BP(PRV_M, trig_lw, w, trig_lw_site, w), w);
    CHECK_EQ(EXPECT_NONE(PRV_M, trig_lw, other), 0x22);
    trap_clear();
    trig_sw(w, 0x33); // a load trigger does not watch stores
    quiet(0, t);      // before this code reads the word itself
    CHECK_EQ(mtrap.count, 0);
    CHECK_EQ(data[2], 0x33);
    // A store trigger: the store does not happen.
    set_trigger(0, TYPE(t) | MODE_M | STORE, w);
    arm_m();
    trap_clear();
    trig_sw(w, 0x44);
    CHECK_EQ(mtrap.count, 1);
    CHECK_EQ(mtrap.cause, CAUSE_BREAKPOINT);
    CHECK_EQ(mtrap.epc, (uint64)trig_sw_site);
    CHECK(tval_ok(mtrap.tval, w));
    CHECK_EQ(data[2], 0x33);
    CHECK_EQ(EXPECT_NONE(PRV_M, trig_lw, w), 0x33);
    // Two triggers at once, as breakpoint.S sets them.
    if (hw.ntrig >= 2) {
      set_trigger(1, TYPE(t) | MODE_M | LOAD, w2);
      arm_m();
      EXPECT_BP(PRV_M, trig_lw, w2, trig_lw_site, w2);
      trap_clear();
      trig_sw(w, 0x55);
      CHECK_EQ(mtrap.count, 1);
      CHECK_EQ(data[2], 0x33);
      quiet(1, t);
    }
    // From U-mode.
    set_trigger(0, TYPE(t) | MODE_U | LOAD, w);
    EXPECT_BP(PRV_U, trig_lw, w, trig_lw_site, w);
    CHECK_EQ(EXPECT_NONE(PRV_U, trig_lw, other), 0x22);
    set_trigger(0, TYPE(t) | MODE_U | STORE, w);
    EXPECT_BP(PRV_U, trig_sw, w, trig_sw_site, w);
    CHECK_EQ(data[2], 0x33);
    // An AMO stores: a store trigger stops it.
    set_trigger(0, TYPE(t) | MODE_M | STORE, w);
    arm_m();
    trap_clear();
    trig_amoadd(w, 1);
    CHECK_EQ(mtrap.count, 1);
    CHECK_EQ(mtrap.epc, (uint64)trig_amoadd_site);
    CHECK_EQ(data[2], 0x33);
    quiet(0, t);
  }
  test_end();
}

// Whether tdata1 keeps `bits` when written with them on an M-mode load trigger of type t.
static int keeps(int t, uint64 bits) {
  return (set_trigger(0, TYPE(t) | MODE_U | LOAD | bits, DATA(0)) & bits) == bits;
}

static void test_match(void) {
  test_begin("match kinds");
  for (int k = 0; k < hw.ntypes; k++) {
    int t = hw.types[k];
    int ge = keeps(t, MATCH(MATCH_GE)) && keeps(t, MATCH(MATCH_LT));
    int napot = MATCH_OF(set_trigger(0, TYPE(t) | MODE_U | LOAD | MATCH(MATCH_NAPOT), DATA(0))) == MATCH_NAPOT;
    int chain = hw.ntrig >= 2 && keeps(t, CHAIN);
    quiet(0, t);
    printf("    type %d: ge/lt %s, chain %s, napot %s\n", t, ge ? "yes" : "no", chain ? "yes" : "no",
           napot ? "yes" : "no");
    uint64 at = DATA(4);
    if (ge) {
      // Alone, in U-mode, where the probe's is the only load.
      set_trigger(0, TYPE(t) | MODE_U | LOAD | MATCH(MATCH_GE), at);
      EXPECT_NONE(PRV_U, trig_lbu, at - 1);
      EXPECT_BP(PRV_U, trig_lbu, at, trig_lbu_site, at);
      EXPECT_BP(PRV_U, trig_lbu, at + 9, trig_lbu_site, at + 9);
      set_trigger(0, TYPE(t) | MODE_U | LOAD | MATCH(MATCH_LT), at);
      EXPECT_BP(PRV_U, trig_lbu, at - 1, trig_lbu_site, at - 1);
      EXPECT_NONE(PRV_U, trig_lbu, at);
      quiet(0, t);
    }
    if (ge && chain) {
      // [at, at + 8) in M-mode: >= chained with <.
      set_trigger(0, TYPE(t) | MODE_M | LOAD | MATCH(MATCH_GE) | CHAIN, at);
      set_trigger(1, TYPE(t) | MODE_M | LOAD | MATCH(MATCH_LT), at + 8);
      arm_m();
      EXPECT_NONE(PRV_M, trig_lbu, at - 1);
      EXPECT_BP(PRV_M, trig_lbu, at, trig_lbu_site, at);
      EXPECT_BP(PRV_M, trig_lbu, at + 7, trig_lbu_site, at + 7);
      EXPECT_NONE(PRV_M, trig_lbu, at + 8);
      quiet(1, t);
      quiet(0, t);
    }
    if (napot) {
      // 16 bytes at DATA(8), which is 32-byte aligned.
      uint64 base = DATA(8);
      set_trigger(0, TYPE(t) | MODE_M | LOAD | MATCH(MATCH_NAPOT), base + 7);
      arm_m();
      EXPECT_NONE(PRV_M, trig_lbu, base - 1);
      EXPECT_BP(PRV_M, trig_lbu, base, trig_lbu_site, base);
      EXPECT_BP(PRV_M, trig_lbu, base + 15, trig_lbu_site, base + 15);
      EXPECT_NONE(PRV_M, trig_lbu, base + 16);
      quiet(0, t);
    }
  }
  test_end();
}

static void test_hit(void) {
  test_begin("hit");
  for (int k = 0; k < hw.ntypes; k++) {
    int t = hw.types[k];
    int has = (set_trigger(0, TYPE(t) | HIT(t), DATA(0)) & HIT(t)) != 0;
    printf("    type %d: hit %s\n", t, has ? "yes" : "no");
    if (!has)
      continue;
    uint64 v = set_trigger(0, TYPE(t) | MODE_M | EXECUTE, (uint64)trig_exec_site);
    CHECK_EQ(v & HIT(t), 0);
    arm_m();
    EXPECT_BP(PRV_M, trig_exec, 5, trig_exec_site, trig_exec_site);
    CHECK_EQ(r_tdata1() & HIT(t), HIT(t));
    // A trigger that does not fire keeps hit clear.
    set_trigger(1 % hw.ntrig, TYPE(t) | MODE_M | EXECUTE, DATA(0));
    arm_m();
    EXPECT_BP(PRV_M, trig_exec, 5, trig_exec_site, trig_exec_site);
    w_tselect(1 % hw.ntrig);
    CHECK_EQ(r_tdata1() & HIT(t), hw.ntrig == 1 ? HIT(t) : 0);
    quiet_all();
  }
  test_end();
}

static void test_timing_select(void) {
  test_begin("timing/select");
  int t = hw.types[0];
  // mcontrol's timing=1: the store happens, and the breakpoint comes before the next instruction.
  int after = t == 2 && (set_trigger(0, TYPE(2) | MODE_M | STORE | MC_TIMING, DATA(10)) & MC_TIMING) != 0;
  printf("    store timing after: %s\n", after ? "yes" : "no");
  if (after) {
    mtrap_hook = resume_at_epc;
    arm_m();
    trap_clear();
    uint64 r = trig_sw_after(DATA(10), 0x77);
    mtrap_hook = 0;
    quiet(0, t);
    CHECK_EQ(mtrap.count, 1);
    CHECK_EQ(mtrap.cause, CAUSE_BREAKPOINT);
    CHECK_EQ(mtrap.epc, (uint64)trig_sw_after_next);
    CHECK(tval_ok(mtrap.tval, DATA(10)));
    CHECK_EQ(data[10], 0x77);
    CHECK_EQ(r, DATA(10) + 0x100);
  }
  // select=1: compare the data. A store's is known before it happens.
  int sel = (set_trigger(0, TYPE(t) | MODE_M | STORE | SELECT(t), 0x1234) & SELECT(t)) != 0;
  printf("    select: %s\n", sel ? "yes" : "no");
  if (sel) {
    arm_m();
    trap_clear();
    trig_sw(DATA(11), 0x1233);
    CHECK_EQ(mtrap.count, 0);
    CHECK_EQ(data[11], 0x1233);
    trig_sw(DATA(11), 0x1234);
    quiet(0, t); // it would watch every M-mode store of 0x1234
    CHECK_EQ(mtrap.count, 1);
    CHECK_EQ(mtrap.epc, (uint64)trig_sw_site);
    CHECK(tval_ok(mtrap.tval, DATA(11)));
    CHECK_EQ(data[11], 0x1233);
    // A load's is known after: the breakpoint may come before the load or after it.
    data[12] = 0xabcd;
    set_trigger(0, TYPE(t) | MODE_M | LOAD | SELECT(t), 0xabcd);
    mtrap_hook = resume_at_epc;
    arm_m();
    trap_clear();
    uint64 r = trig_lw_after(DATA(12));
    mtrap_hook = 0;
    quiet(0, t);
    CHECK_EQ(mtrap.count, 1);
    int when = mtrap.epc == (uint64)trig_lw_after_next ? 1 : mtrap.epc == (uint64)trig_lw_after_site ? 0 : -1;
    printf("    load data: %s\n", when == 1 ? "after" : when == 0 ? "before" : "?");
    CHECK(when >= 0);
    if (when == 1)
      CHECK_EQ(r, 0xabcd + 0x100);
    CHECK(tval_ok(mtrap.tval, DATA(12)));
  }
  quiet_all();
  test_end();
}

// Reads tcontrol inside the trap handler.
static uint64 tcontrol_in_handler;
static int read_tcontrol(struct trapframe *tf, uint64 cause) {
  (void)tf;
  (void)cause;
  tcontrol_in_handler = r_tcontrol();
  return 0;
}

static void test_tcontrol(void) {
  test_begin("tcontrol");
  printf("    tcontrol: %s\n", hw.has_tcontrol ? "yes" : "no");
  int t = hw.types[0];
  if (hw.has_tcontrol) {
    w_tcontrol(TCONTROL_MTE | TCONTROL_MPTE);
    CHECK_EQ(r_tcontrol() & (TCONTROL_MTE | TCONTROL_MPTE), TCONTROL_MTE | TCONTROL_MPTE);
    // A trap into M-mode saves mte in mpte and clears it; mret puts it back.
    w_tcontrol(TCONTROL_MTE);
    mtrap_hook = read_tcontrol;
    trap_clear();
    probe_ecall(0);
    mtrap_hook = 0;
    CHECK_EQ(mtrap.cause, CAUSE_MACHINE_ECALL);
    CHECK_EQ(tcontrol_in_handler & (TCONTROL_MTE | TCONTROL_MPTE), TCONTROL_MPTE);
    CHECK_EQ(r_tcontrol() & (TCONTROL_MTE | TCONTROL_MPTE), TCONTROL_MTE | TCONTROL_MPTE);
    // mte = 0: M-mode triggers do not fire.
    set_trigger(0, TYPE(t) | MODE_M | EXECUTE, (uint64)trig_exec_site);
    CSR_SET(mstatus, MSTATUS_MIE);
    w_tcontrol(0);
    CHECK_EQ(EXPECT_NONE(PRV_M, trig_exec, 5), 6);
  }
  // Whether M-mode triggers also wait for mstatus.MIE (an implementation's choice).
  set_trigger(0, TYPE(t) | MODE_M | EXECUTE, (uint64)trig_exec_site);
  arm_m();
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  trap_clear();
  trig_exec(5);
  printf("    M-mode triggers with MIE=0: %s\n", mtrap.count ? "fire" : "do not fire");
  quiet_all();
  test_end();
}

static void test_mcontext(void) {
  test_begin("mcontext");
  int t = hw.types[0];
  w_tselect(0);
  int has = 0;
  if (hw.has_mcontext) {
    w_tdata3(TEXTRA_MHSELECT_MCONTEXT | TEXTRA_MHVALUE(5));
    has = r_tdata3() == (TEXTRA_MHSELECT_MCONTEXT | TEXTRA_MHVALUE(5));
  }
  printf("    mcontext: %s\n", has ? "yes" : "no");
  if (has) {
    set_trigger(0, TYPE(t) | MODE_U | EXECUTE, (uint64)trig_exec_site);
    w_mcontext(4);
    CHECK_EQ(EXPECT_NONE(PRV_U, trig_exec, 5), 6);
    w_mcontext(5);
    EXPECT_BP(PRV_U, trig_exec, 5, trig_exec_site, trig_exec_site);
    w_tdata3(0);
    w_mcontext(0);
  }
  quiet_all();
  test_end();
}

int main(void) {
  printf("priv-trigger: Sdtrig triggers (tselect, tdata1-3, tinfo, tcontrol)\n");
  trap_init();
  test_enumerate();
  if (hw.ntrig == 0 || hw.ntypes == 0)
    return test_finish("priv-trigger");
  test_tdata1();
  test_execute();
  test_load_store();
  test_match();
  test_hit();
  test_timing_select();
  test_tcontrol();
  test_mcontext();
  return test_finish("priv-trigger");
}
