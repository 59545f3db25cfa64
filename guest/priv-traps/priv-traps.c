// M-mode test of the trap machinery of privileged spec 1.12: exception causes, epc and tval;
// vectored interrupts; delegation to S; what mret/sret do to mstatus; TSR/TW/TVM; counter
// enables; and the WARL behaviour of a few CSRs. Paging is off throughout (priv-sv39 covers it).
//
// Probes (probes.S) are one-instruction functions with a NAME_site label on the instruction
// under test; they run in M-mode directly or in S/U-mode through run_in_mode.
#include "memlayout.h"
#include "priv.h"
#include "probes.h"
#include "test.h"

static uint64 run(int priv, probe_fn f, uint64 arg) {
  return priv == PRV_M ? f(arg) : run_in_mode(priv, f, arg);
}

// The bits of the instruction at `site`, as an illegal-instruction tval should hold them.
static uint64 insn_bits(const char *site) {
  uint16 lo = *(const uint16 *)site;
  if ((lo & 3) != 3)
    return lo;
  return lo | (uint64)*(const uint16 *)(site + 2) << 16;
}

// Runs probe f at `priv` and checks for exactly one trap to M with `cause` at `site`.
static void expect_mtrap(int line, const char *what, int priv, probe_fn f, uint64 arg,
                         const char *site, uint64 cause) {
  trap_clear();
  run(priv, f, arg);
  int ok = mtrap.count == 1 && mtrap.cause == cause && mtrap.epc == (uint64)site &&
           mtrap.prev == priv;
  check_true(line, what, ok);
  if (!ok)
    printf("      traps %ld, mcause 0x%lx (want 0x%lx), mepc 0x%lx (want %p), from priv %d (want %d)\n",
           mtrap.count, mtrap.cause, cause, mtrap.epc, site, mtrap.prev, priv);
}

static void expect_no_trap(int line, const char *what, int priv, probe_fn f, uint64 arg) {
  trap_clear();
  run(priv, f, arg);
  check_true(line, what, mtrap.count == 0 && strap.count == 0);
  if (mtrap.count || strap.count)
    printf("      unexpected trap: mcause 0x%lx mepc 0x%lx / scause 0x%lx sepc 0x%lx\n", mtrap.cause,
           mtrap.epc, strap.cause, strap.epc);
}

#define EXPECT_MTRAP(priv, probe, arg, cause)                                                  \
  expect_mtrap(__LINE__, #probe " in " #priv " traps with " #cause, priv, probe, arg,         \
               probe##_site, cause)
#define EXPECT_ILLEGAL(priv, probe)                                                            \
  do {                                                                                         \
    EXPECT_MTRAP(priv, probe, 0, CAUSE_ILLEGAL_INSTRUCTION);                                   \
    CHECK_EQ(mtrap.tval, insn_bits(probe##_site));                                             \
  } while (0)
#define EXPECT_NO_TRAP(priv, probe, arg)                                                       \
  expect_no_trap(__LINE__, #probe " in " #priv " does not trap", priv, probe, arg)

static void test_machine_info(uint64 hartid) {
  test_begin("misa/mhartid/ids");
  trap_clear();
  uint64 misa = r_misa();
  CHECK_EQ(misa >> MISA_MXL_SHIFT, 2); // XLEN 64
  uint64 need = MISA_EXT('I') | MISA_EXT('M') | MISA_EXT('A') | MISA_EXT('C') | MISA_EXT('S') |
                MISA_EXT('U');
  CHECK_EQ(misa & need, need);
  CHECK_EQ(r_mhartid(), hartid);
  CHECK_EQ(r_mhartid(), 0);
  // Zero is a legal vendor/arch/impl id; reading them must simply not trap.
  (void)r_mvendorid();
  (void)r_marchid();
  (void)r_mimpid();
  CHECK_EQ(mtrap.count, 0);
  CHECK_EQ((r_mstatus() >> MSTATUS_UXL_SHIFT) & 3, 2);
  CHECK_EQ((r_mstatus() >> MSTATUS_SXL_SHIFT) & 3, 2);
  test_end();
}

static void test_zicsr(void) {
  test_begin("csrrw/csrrs/csrrc/imm");
  uint64 old;
  w_mscratch(0x1234);
  asm volatile("csrrw %0, mscratch, %1" : "=r"(old) : "r"(0xf0f0UL));
  CHECK_EQ(old, 0x1234);
  asm volatile("csrrs %0, mscratch, %1" : "=r"(old) : "r"(0x0f00UL));
  CHECK_EQ(old, 0xf0f0);
  asm volatile("csrrc %0, mscratch, %1" : "=r"(old) : "r"(0xf000UL));
  CHECK_EQ(old, 0xfff0);
  asm volatile("csrrwi %0, mscratch, 31" : "=r"(old));
  CHECK_EQ(old, 0x0ff0);
  asm volatile("csrrsi %0, mscratch, 16" : "=r"(old));
  CHECK_EQ(old, 31);
  asm volatile("csrrci %0, mscratch, 1" : "=r"(old));
  CHECK_EQ(old, 31);
  CHECK_EQ(r_mscratch(), 30);
  w_mscratch(~0UL);
  CHECK_EQ(r_mscratch(), ~0UL);
  // mscratch is the trap stack pointer: restore it before anything can trap
  extern char mtrap_stack_top[];
  w_mscratch((uint64)mtrap_stack_top);
  // mepc bit 0 is always zero (IALIGN 16)
  uint64 save = r_mepc();
  w_mepc(0x80001235);
  CHECK_EQ(r_mepc(), 0x80001234);
  w_mepc(save);
  // reading a read-only CSR is fine; any write attempt is illegal
  EXPECT_NO_TRAP(PRV_M, probe_read_mhartid, 0);
  EXPECT_ILLEGAL(PRV_M, probe_write_mvendorid);
  EXPECT_ILLEGAL(PRV_M, probe_set_mhartid);
  test_end();
}

static void test_illegal(void) {
  test_begin("illegal instruction");
  EXPECT_ILLEGAL(PRV_M, probe_csr_7c0);
  CHECK_EQ(mtrap.tval, 0x7c002573); // csrr a0, 0x7c0
  EXPECT_ILLEGAL(PRV_M, probe_illegal32);
  CHECK_EQ(mtrap.tval, 0xfe000033);
  EXPECT_ILLEGAL(PRV_M, probe_illegal16);
  CHECK_EQ(mtrap.tval, 0);
  EXPECT_ILLEGAL(PRV_M, probe_reserved16);
  CHECK_EQ(mtrap.tval, 0x8002); // only the 16 bits of the compressed instruction
  EXPECT_ILLEGAL(PRV_M, probe_pmpcfg1); // odd pmpcfg registers do not exist on RV64
  EXPECT_ILLEGAL(PRV_S, probe_read_mstatus);
  EXPECT_ILLEGAL(PRV_U, probe_read_mstatus);
  EXPECT_ILLEGAL(PRV_U, probe_read_sstatus);
  EXPECT_NO_TRAP(PRV_S, probe_read_sstatus, 0);
  EXPECT_ILLEGAL(PRV_S, probe_mret);
  EXPECT_ILLEGAL(PRV_U, probe_mret);
  EXPECT_ILLEGAL(PRV_U, probe_sret);
  EXPECT_ILLEGAL(PRV_S, probe_csr_7c0);
  EXPECT_ILLEGAL(PRV_U, probe_illegal16);
  test_end();
}

static void test_ecall_ebreak(void) {
  test_begin("ecall/ebreak");
  EXPECT_MTRAP(PRV_M, probe_ecall, 0, CAUSE_MACHINE_ECALL);
  CHECK_EQ(mtrap.tval, 0);
  EXPECT_MTRAP(PRV_S, probe_ecall, 0, CAUSE_SUPERVISOR_ECALL);
  CHECK_EQ(mtrap.tval, 0);
  EXPECT_MTRAP(PRV_U, probe_ecall, 0, CAUSE_USER_ECALL);
  CHECK_EQ(mtrap.tval, 0);
  // tval of a breakpoint may be 0 or the pc; epc must be the ebreak itself
  EXPECT_MTRAP(PRV_M, probe_ebreak, 0, CAUSE_BREAKPOINT);
  CHECK(mtrap.tval == 0 || mtrap.tval == (uint64)probe_ebreak_site);
  EXPECT_MTRAP(PRV_M, probe_cebreak, 0, CAUSE_BREAKPOINT);
  CHECK(mtrap.tval == 0 || mtrap.tval == (uint64)probe_cebreak_site);
  EXPECT_MTRAP(PRV_U, probe_cebreak, 0, CAUSE_BREAKPOINT);
  EXPECT_MTRAP(PRV_S, probe_ebreak, 0, CAUSE_BREAKPOINT);
  test_end();
}

static uint64 amo_area[4] __attribute__((aligned(64)));

static void test_misaligned_amo(void) {
  test_begin("misaligned atomics");
  uint8 *b = (uint8 *)amo_area;
  amo_area[0] = 0x1111111111111111;
  amo_area[1] = 0x2222222222222222;
  EXPECT_MTRAP(PRV_M, probe_amoadd_w, (uint64)(b + 1), CAUSE_MISALIGNED_STORE);
  CHECK_EQ(mtrap.tval, (uint64)(b + 1));
  EXPECT_MTRAP(PRV_M, probe_amoswap_d, (uint64)(b + 4), CAUSE_MISALIGNED_STORE);
  CHECK_EQ(mtrap.tval, (uint64)(b + 4));
  EXPECT_MTRAP(PRV_U, probe_amoadd_w, (uint64)(b + 2), CAUSE_MISALIGNED_STORE);
  CHECK_EQ(mtrap.tval, (uint64)(b + 2));
  EXPECT_MTRAP(PRV_M, probe_sc_d, (uint64)(b + 12), CAUSE_MISALIGNED_STORE);
  CHECK_EQ(mtrap.tval, (uint64)(b + 12));
  EXPECT_MTRAP(PRV_M, probe_lr_w, (uint64)(b + 2), CAUSE_MISALIGNED_LOAD);
  CHECK_EQ(mtrap.tval, (uint64)(b + 2));
  EXPECT_MTRAP(PRV_M, probe_lr_d, (uint64)(b + 4), CAUSE_MISALIGNED_LOAD);
  CHECK_EQ(mtrap.tval, (uint64)(b + 4));
  CHECK_EQ(amo_area[0], 0x1111111111111111);
  CHECK_EQ(amo_area[1], 0x2222222222222222);
  test_end();
}

static void test_access_faults(void) {
  test_begin("access faults");
  EXPECT_MTRAP(PRV_M, probe_lw, UNMAPPED_ADDR, CAUSE_LOAD_ACCESS);
  CHECK_EQ(mtrap.tval, UNMAPPED_ADDR);
  EXPECT_MTRAP(PRV_M, probe_lbu, 0, CAUSE_LOAD_ACCESS);
  CHECK_EQ(mtrap.tval, 0);
  EXPECT_MTRAP(PRV_M, probe_sd, UNMAPPED_ADDR + 8, CAUSE_STORE_ACCESS);
  CHECK_EQ(mtrap.tval, UNMAPPED_ADDR + 8);
  EXPECT_MTRAP(PRV_M, probe_amoadd_w, UNMAPPED_ADDR + 16, CAUSE_STORE_ACCESS);
  CHECK_EQ(mtrap.tval, UNMAPPED_ADDR + 16);
  EXPECT_MTRAP(PRV_M, probe_lr_d, UNMAPPED_ADDR + 24, CAUSE_LOAD_ACCESS);
  CHECK_EQ(mtrap.tval, UNMAPPED_ADDR + 24);
  EXPECT_MTRAP(PRV_S, probe_lw, 0x7f00000000UL, CAUSE_LOAD_ACCESS);
  CHECK_EQ(mtrap.tval, 0x7f00000000UL);
  EXPECT_MTRAP(PRV_U, probe_sd, UNMAPPED_ADDR, CAUSE_STORE_ACCESS);
  CHECK_EQ(mtrap.tval, UNMAPPED_ADDR);
  // instruction fetch: epc and tval are the target
  trap_clear();
  probe_jump(0x100);
  CHECK_EQ(mtrap.count, 1);
  CHECK_EQ(mtrap.cause, CAUSE_FETCH_ACCESS);
  CHECK_EQ(mtrap.epc, 0x100);
  CHECK_EQ(mtrap.tval, 0x100);
  trap_clear();
  run_in_mode(PRV_U, probe_jump, UNMAPPED_ADDR);
  CHECK_EQ(mtrap.cause, CAUSE_FETCH_ACCESS);
  CHECK_EQ(mtrap.epc, UNMAPPED_ADDR);
  CHECK_EQ(mtrap.tval, UNMAPPED_ADDR);
  CHECK_EQ(mtrap.prev, PRV_U);
  test_end();
}

// ---- interrupts ----

static volatile uint32 irq_seen;
static volatile uint64 irq_order[8];
static volatile int irq_count;

static void clint_msip(int v) { *(volatile uint32 *)CLINT_MSIP(0) = v; }
static uint64 clint_mtime(void) { return *(volatile uint64 *)CLINT_MTIME; }
static void clint_mtimecmp(uint64 v) { *(volatile uint64 *)CLINT_MTIMECMP(0) = v; }

// Silences whichever source interrupted and notes the order; execution resumes at the
// interrupted instruction.
static int irq_hook(struct trapframe *tf, uint64 cause) {
  if (!(cause & CAUSE_INTERRUPT))
    return 0;
  uint64 irq = cause & ~CAUSE_INTERRUPT;
  if (irq_count < 8)
    irq_order[irq_count] = irq;
  irq_count++;
  if (irq == IRQ_M_SOFT)
    clint_msip(0);
  else if (irq == IRQ_M_TIMER)
    clint_mtimecmp(~0UL);
  else if (irq == IRQ_S_SOFT)
    CSR_CLEAR(mip, MIP_SSIP);
  else
    return 0;
  irq_seen = 1;
  return 1;
}

// The CLINT is a device of the platform, not of the hart: a runner may lack it. Without it
// only the interrupts that software raises through mip can be tested.
static int clint_present(void) {
  trap_clear();
  probe_ld(CLINT_MTIME);
  int ok = mtrap.count == 0;
  trap_clear();
  return ok;
}

static void irq_reset(void) {
  trap_clear();
  irq_seen = 0;
  irq_count = 0;
  for (int i = 0; i < 8; i++)
    irq_order[i] = ~0UL;
}

static void test_vectored_interrupts(void) {
  test_begin("vectored interrupts");
  mtrap_hook = irq_hook;
  mtrap_set_vectored(1);
  CHECK_EQ(r_mtvec(), (uint64)mtrap_vectors | MTVEC_VECTORED);

  // exceptions still enter at the base
  EXPECT_MTRAP(PRV_M, probe_ecall, 0, CAUSE_MACHINE_ECALL);
  CHECK_EQ(mtrap.vec, 0);

  int clint = clint_present();
  CHECK(clint); // the CLINT answers at 0x2000000
  if (clint) {
    clint_mtimecmp(~0UL);
    // pending but globally disabled: no trap, but mip shows it
    irq_reset();
    w_mie(MIE_MSIE);
    clint_msip(1);
    CHECK_EQ(wait_flag(&irq_seen, 2000), 0);
    CHECK(r_mip() & MIP_MSIP);
    CHECK_EQ(mtrap.count, 0);

    // machine software interrupt -> entry 3
    CSR_SET(mstatus, MSTATUS_MIE);
    CHECK(wait_flag(&irq_seen, 100000) != 0);
    CSR_CLEAR(mstatus, MSTATUS_MIE);
    CHECK_EQ(mtrap.cause, CAUSE_INTERRUPT | IRQ_M_SOFT);
    CHECK_EQ(mtrap.vec, 3);
    CHECK_EQ(r_mip() & MIP_MSIP, 0);

    // machine timer interrupt -> entry 7, woken from wfi
    irq_reset();
    w_mie(MIE_MTIE);
    clint_mtimecmp(clint_mtime() + 20);
    CSR_SET(mstatus, MSTATUS_MIE);
    // wfi may also return early (or be a no-op), so keep waiting for a bounded time
    for (int i = 0; i < 100000 && !irq_seen; i++)
      wfi();
    CSR_CLEAR(mstatus, MSTATUS_MIE);
    CHECK_EQ(irq_seen, 1);
    CHECK_EQ(mtrap.cause, CAUSE_INTERRUPT | IRQ_M_TIMER);
    CHECK_EQ(mtrap.vec, 7);
  } else {
    printf("    (no CLINT: machine software and timer interrupts not tested)\n");
  }

  // supervisor software interrupt, not delegated -> taken in M at entry 1
  irq_reset();
  w_mie(MIE_SSIE);
  CSR_SET(mip, MIP_SSIP);
  CHECK(r_mip() & MIP_SSIP);
  CSR_SET(mstatus, MSTATUS_MIE);
  CHECK(wait_flag(&irq_seen, 100000) != 0);
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  CHECK_EQ(mtrap.cause, CAUSE_INTERRUPT | IRQ_S_SOFT);
  CHECK_EQ(mtrap.vec, 1);

  if (clint) {
    // priority: MSI before SSI when both are pending
    irq_reset();
    w_mie(MIE_MSIE | MIE_SSIE);
    CSR_SET(mip, MIP_SSIP);
    clint_msip(1);
    for (int i = 0; i < 100000 && !(r_mip() & MIP_MSIP); i++)
      ;
    CSR_SET(mstatus, MSTATUS_MIE);
    for (volatile int i = 0; i < 1000 && irq_count < 2; i++)
      ;
    CSR_CLEAR(mstatus, MSTATUS_MIE);
    CHECK_EQ(irq_count, 2);
    CHECK_EQ(irq_order[0], IRQ_M_SOFT);
    CHECK_EQ(irq_order[1], IRQ_S_SOFT);

    // wfi wakes on a pending enabled interrupt even with MIE clear, and nothing is taken
    irq_reset();
    w_mie(MIE_MTIE);
    clint_mtimecmp(clint_mtime() + 20);
    for (int i = 0; i < 100000 && !(r_mip() & MIP_MTIP); i++)
      wfi();
    CHECK(r_mip() & MIP_MTIP);
    CHECK_EQ(mtrap.count, 0);
    clint_mtimecmp(~0UL);
    CHECK_EQ(r_mip() & MIP_MTIP, 0);
  }

  w_mie(0);
  mtrap_set_vectored(0);
  mtrap_hook = 0;
  test_end();
}

// ---- delegation ----

static int sirq_hook(struct trapframe *tf, uint64 cause) {
  if (cause != (CAUSE_INTERRUPT | IRQ_S_SOFT))
    return 0;
  CSR_CLEAR(sip, SIP_SSIP);
  irq_seen = 1;
  return 1;
}

static uint64 s_enable_and_spin(uint64 spins) {
  CSR_SET(sstatus, MSTATUS_SIE);
  uint64 left = wait_flag(&irq_seen, spins);
  CSR_CLEAR(sstatus, MSTATUS_SIE);
  return left;
}

static uint64 spin(uint64 spins) { return wait_flag(&irq_seen, spins); }

static void test_delegation(void) {
  test_begin("medeleg/mideleg");
  w_medeleg(~0UL);
  uint64 writable = r_medeleg();
  CHECK(writable & (1 << CAUSE_USER_ECALL));
  CHECK(writable & (1 << CAUSE_ILLEGAL_INSTRUCTION));
  CHECK(writable & (1 << CAUSE_BREAKPOINT));
  w_medeleg((1 << CAUSE_USER_ECALL) | (1 << CAUSE_ILLEGAL_INSTRUCTION));

  // U ecall goes to S
  trap_clear();
  run_in_mode(PRV_U, probe_ecall, 0);
  CHECK_EQ(mtrap.count, 0);
  CHECK_EQ(strap.count, 1);
  CHECK_EQ(strap.cause, CAUSE_USER_ECALL);
  CHECK_EQ(strap.epc, (uint64)probe_ecall_site);
  CHECK_EQ(strap.prev, PRV_U);
  // U and S illegal instructions go to S, with the bits in stval
  trap_clear();
  run_in_mode(PRV_U, probe_illegal32, 0);
  CHECK_EQ(mtrap.count, 0);
  CHECK_EQ(strap.cause, CAUSE_ILLEGAL_INSTRUCTION);
  CHECK_EQ(strap.tval, 0xfe000033);
  trap_clear();
  run_in_mode(PRV_S, probe_csr_7c0, 0);
  CHECK_EQ(mtrap.count, 0);
  CHECK_EQ(strap.cause, CAUSE_ILLEGAL_INSTRUCTION);
  CHECK_EQ(strap.epc, (uint64)probe_csr_7c0_site);
  CHECK_EQ(strap.prev, PRV_S);
  // a trap never goes to a less privileged mode: M-mode illegal stays in M
  EXPECT_ILLEGAL(PRV_M, probe_csr_7c0);
  CHECK_EQ(strap.count, 0);
  // not delegated: S ecall and U ebreak go to M
  EXPECT_MTRAP(PRV_S, probe_ecall, 0, CAUSE_SUPERVISOR_ECALL);
  EXPECT_MTRAP(PRV_U, probe_ebreak, 0, CAUSE_BREAKPOINT);
  CHECK_EQ(strap.count, 0);
  w_medeleg(0);

  // sie/sip show only delegated interrupts
  w_mideleg(MIP_SSIP);
  w_mie(MIE_MSIE | MIE_SSIE | MIE_MTIE);
  CHECK_EQ(r_sie(), SIE_SSIE);
  CSR_SET(mip, MIP_SSIP);
  CHECK_EQ(r_sip() & SIP_SSIP, SIP_SSIP);
  CSR_CLEAR(mip, MIP_SSIP);
  w_mie(0);

  // delegated SSI taken in S once S enables it
  strap_hook = sirq_hook;
  mtrap_hook = irq_hook;
  irq_reset();
  w_mie(MIE_SSIE);
  CSR_SET(mip, MIP_SSIP);
  CSR_SET(mstatus, MSTATUS_MIE); // must not let M take an S-level interrupt
  uint64 left = run_in_mode(PRV_S, s_enable_and_spin, 100000);
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  CHECK(left != 0);
  CHECK_EQ(mtrap.count, 0);
  CHECK_EQ(strap.count, 1);
  CHECK_EQ(strap.cause, CAUSE_INTERRUPT | IRQ_S_SOFT);
  CHECK_EQ(strap.prev, PRV_S);

  // in U the delegated interrupt is taken even with SIE clear
  irq_reset();
  CSR_SET(mip, MIP_SSIP);
  left = run_in_mode(PRV_U, spin, 100000);
  CHECK(left != 0);
  CHECK_EQ(strap.count, 1);
  CHECK_EQ(strap.cause, CAUSE_INTERRUPT | IRQ_S_SOFT);
  CHECK_EQ(strap.prev, PRV_U);

  // in M a delegated interrupt is never taken
  irq_reset();
  CSR_SET(mip, MIP_SSIP);
  CSR_SET(mstatus, MSTATUS_MIE | MSTATUS_SIE);
  CHECK_EQ(spin(2000), 0);
  CSR_CLEAR(mstatus, MSTATUS_MIE | MSTATUS_SIE);
  CHECK_EQ(mtrap.count + strap.count, 0);
  CSR_CLEAR(mip, MIP_SSIP);

  if (clint_present()) {
    // an M-level interrupt preempts S even with mstatus.MIE clear
    irq_reset();
    w_mie(MIE_MSIE);
    clint_msip(1);
    left = run_in_mode(PRV_S, spin, 100000);
    CHECK(left != 0);
    CHECK_EQ(mtrap.count, 1);
    CHECK_EQ(mtrap.cause, CAUSE_INTERRUPT | IRQ_M_SOFT);
    CHECK_EQ(mtrap.prev, PRV_S);
    CHECK_EQ(strap.count, 0);
  }

  w_mie(0);
  w_mideleg(0);
  strap_hook = 0;
  mtrap_hook = 0;
  test_end();
}

// ---- xRET ----

static uint64 return_status(void) {
  uint64 s;
  asm volatile("lla t0, 1f\n csrw mepc, t0\n mret\n1: csrr %0, mstatus" : "=r"(s) : : "t0");
  return s;
}

static void test_xret(void) {
  test_begin("mret/sret");
  // mret to M: MIE <- MPIE, MPIE <- 1, MPP <- U, MPRV kept
  CSR_SET(mstatus, MSTATUS_MPP_M | MSTATUS_MPIE);
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  uint64 s = return_status();
  CHECK_EQ(s & MSTATUS_MIE, MSTATUS_MIE);
  CHECK_EQ(s & MSTATUS_MPIE, MSTATUS_MPIE);
  CHECK_EQ(s & MSTATUS_MPP_MASK, MSTATUS_MPP_U);
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  CSR_SET(mstatus, MSTATUS_MPP_M);
  CSR_CLEAR(mstatus, MSTATUS_MPIE);
  s = return_status();
  CHECK_EQ(s & MSTATUS_MIE, 0);
  CHECK_EQ(s & MSTATUS_MPIE, MSTATUS_MPIE);
  CSR_SET(mstatus, MSTATUS_MPP_M | MSTATUS_MPRV);
  s = return_status();
  CSR_CLEAR(mstatus, MSTATUS_MPRV);
  CHECK_EQ(s & MSTATUS_MPRV, MSTATUS_MPRV);

  // mret to S clears MPRV; the ecall that follows shows MPIE = the MIE mret set
  CSR_SET(mstatus, MSTATUS_MPRV | MSTATUS_MPIE);
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  EXPECT_MTRAP(PRV_S, probe_ecall, 0, CAUSE_SUPERVISOR_ECALL);
  CHECK_EQ(mtrap.status & MSTATUS_MPRV, 0);
  CHECK_EQ(mtrap.status & MSTATUS_MPIE, MSTATUS_MPIE);
  CHECK_EQ(mtrap.status & MSTATUS_MIE, 0);
  CHECK_EQ(mtrap.status & MSTATUS_MPP_MASK, MSTATUS_MPP_S);

  // sret from S to U: SIE <- SPIE, SPIE <- 1, SPP <- U
  trap_clear();
  run_in_mode(PRV_S, probe_sret_to_u, 0);
  CHECK_EQ(mtrap.count, 1);
  CHECK_EQ(mtrap.cause, CAUSE_USER_ECALL);
  CHECK_EQ(mtrap.epc, (uint64)probe_sret_to_u_ecall);
  CHECK_EQ(mtrap.status & MSTATUS_SIE, MSTATUS_SIE);
  CHECK_EQ(mtrap.status & MSTATUS_SPIE, MSTATUS_SPIE);
  CHECK_EQ(mtrap.status & MSTATUS_SPP, 0);
  CSR_CLEAR(mstatus, MSTATUS_SIE);

  // sret from M to S: the same updates, and MPRV cleared
  trap_clear();
  run_in_mode(PRV_M, probe_m_sret_to_s, 0);
  CHECK_EQ(mtrap.count, 1);
  CHECK_EQ(mtrap.cause, CAUSE_SUPERVISOR_ECALL);
  CHECK_EQ(mtrap.epc, (uint64)probe_m_sret_to_s_ecall);
  CHECK_EQ(mtrap.status & MSTATUS_SIE, MSTATUS_SIE);
  CHECK_EQ(mtrap.status & MSTATUS_SPIE, MSTATUS_SPIE);
  CHECK_EQ(mtrap.status & MSTATUS_SPP, 0);
  CHECK_EQ(mtrap.status & MSTATUS_MPRV, 0);
  CSR_CLEAR(mstatus, MSTATUS_SIE);
  test_end();
}

// ---- TVM/TSR/TW ----

static void test_trap_virtualization(void) {
  test_begin("TVM/TSR/TW");
  EXPECT_NO_TRAP(PRV_S, probe_read_satp, 0);
  EXPECT_NO_TRAP(PRV_S, probe_sfence, 0);
  CSR_SET(mstatus, MSTATUS_TVM);
  EXPECT_ILLEGAL(PRV_S, probe_read_satp);
  EXPECT_ILLEGAL(PRV_S, probe_write_satp);
  EXPECT_ILLEGAL(PRV_S, probe_sfence);
  EXPECT_NO_TRAP(PRV_M, probe_read_satp, 0);
  EXPECT_NO_TRAP(PRV_M, probe_sfence, 0);
  CSR_CLEAR(mstatus, MSTATUS_TVM);

  EXPECT_NO_TRAP(PRV_S, probe_sret_s, 0);
  CSR_SET(mstatus, MSTATUS_TSR);
  EXPECT_ILLEGAL(PRV_S, probe_sret_s);
  CSR_CLEAR(mstatus, MSTATUS_TSR);

  // TW=0: wfi in S completes once an interrupt is pending and enabled, even if masked
  w_mideleg(MIP_SSIP);
  w_mie(MIE_SSIE);
  CSR_SET(mip, MIP_SSIP);
  EXPECT_NO_TRAP(PRV_S, probe_wfi, 0);
  CSR_CLEAR(mip, MIP_SSIP);
  w_mie(0);
  w_mideleg(0);
  CSR_SET(mstatus, MSTATUS_TW);
  EXPECT_ILLEGAL(PRV_S, probe_wfi);
  EXPECT_ILLEGAL(PRV_U, probe_wfi);
  CSR_CLEAR(mstatus, MSTATUS_TW);
  test_end();
}

// ---- counters ----

static void test_counters(void) {
  test_begin("counteren/instret");
  w_mcounteren(0);
  w_scounteren(0);
  EXPECT_NO_TRAP(PRV_M, probe_rdcycle, 0);
  EXPECT_NO_TRAP(PRV_M, probe_rdtime, 0);
  EXPECT_NO_TRAP(PRV_M, probe_rdinstret, 0);
  EXPECT_ILLEGAL(PRV_S, probe_rdcycle);
  EXPECT_ILLEGAL(PRV_S, probe_rdtime);
  EXPECT_ILLEGAL(PRV_S, probe_rdinstret);
  EXPECT_ILLEGAL(PRV_U, probe_rdcycle);
  w_mcounteren(COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR);
  EXPECT_NO_TRAP(PRV_S, probe_rdcycle, 0);
  EXPECT_NO_TRAP(PRV_S, probe_rdtime, 0);
  EXPECT_NO_TRAP(PRV_S, probe_rdinstret, 0);
  EXPECT_ILLEGAL(PRV_U, probe_rdcycle);
  EXPECT_ILLEGAL(PRV_U, probe_rdtime);
  EXPECT_ILLEGAL(PRV_U, probe_rdinstret);
  w_scounteren(COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR);
  EXPECT_NO_TRAP(PRV_U, probe_rdcycle, 0);
  EXPECT_NO_TRAP(PRV_U, probe_rdtime, 0);
  EXPECT_NO_TRAP(PRV_U, probe_rdinstret, 0);
  // U needs both levels to allow it
  w_mcounteren(COUNTEREN_CY);
  EXPECT_NO_TRAP(PRV_U, probe_rdcycle, 0);
  EXPECT_ILLEGAL(PRV_U, probe_rdtime);
  EXPECT_ILLEGAL(PRV_U, probe_rdinstret);
  w_mcounteren(0);
  w_scounteren(0);

  // A CSR write to minstret replaces the writing instruction's own increment.
  uint64 a, b;
  asm volatile("csrw minstret, %1\n csrr %0, minstret" : "=r"(a) : "r"(1000UL));
  CHECK_EQ(a, 1000);
  // Two reads ten instructions apart differ by 11: the first read counts, the second not yet.
  asm volatile(".option push\n.option norvc\n"
               "csrr %0, minstret\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n"
               "csrr %1, minstret\n.option pop"
               : "=r"(a), "=r"(b));
  CHECK_EQ(b - a, 11);
  asm volatile("csrr %0, mcycle\n nop\n csrr %1, mcycle" : "=r"(a), "=r"(b));
  CHECK(b > a);
  test_end();
}

// ---- PMP and satp ----

static void test_pmp(void) {
  test_begin("pmp read-back");
  trap_clear();
  // A=OFF entries never match, so these values cannot disturb the run; addresses are 4 KiB
  // aligned so that any PMP granularity keeps them.
  uint64 addrs[8] = {~0UL >> 10, 0x20000000, 0x20000400, 0x20000800, 0x20001000, 0x3fff000, 0x1000, 0x0};
  w_pmpaddr1(addrs[1]);
  w_pmpaddr2(addrs[2]);
  w_pmpaddr3(addrs[3]);
  w_pmpaddr4(addrs[4]);
  w_pmpaddr5(addrs[5]);
  w_pmpaddr6(addrs[6]);
  w_pmpaddr7(addrs[7]);
  uint64 cfg = 0x0104070503011fUL; // entry 0 NAPOT RWX; 1..7 OFF with assorted R/W/X
  w_pmpcfg0(cfg);
  CHECK_EQ(r_pmpcfg0(), cfg);
  CHECK_EQ(r_pmpaddr0(), addrs[0]);
  CHECK_EQ(r_pmpaddr1(), addrs[1]);
  CHECK_EQ(r_pmpaddr2(), addrs[2]);
  CHECK_EQ(r_pmpaddr3(), addrs[3]);
  CHECK_EQ(r_pmpaddr4(), addrs[4]);
  CHECK_EQ(r_pmpaddr5(), addrs[5]);
  CHECK_EQ(r_pmpaddr6(), addrs[6]);
  CHECK_EQ(r_pmpaddr7(), addrs[7]);
  (void)r_pmpcfg2();
  CHECK_EQ(mtrap.count, 0);
  // U-mode still runs under entry 0
  EXPECT_NO_TRAP(PRV_U, probe_lw, (uint64)amo_area);
  w_pmpcfg0(PMP_A_NAPOT | PMP_R | PMP_W | PMP_X);
  test_end();
}

static char fake_root[4096] __attribute__((aligned(4096)));

static void test_satp(void) {
  test_begin("satp modes");
  uint64 sv39 = MAKE_SATP(fake_root);
  w_satp(sv39);
  CHECK_EQ(r_satp() >> SATP_MODE_SHIFT, 8);
  CHECK_EQ(r_satp() & ((1UL << 44) - 1), (uint64)fake_root >> 12);
  uint64 keep = r_satp();
  // an unsupported mode makes the whole write have no effect
  w_satp(SATP_SV48 | 0x12345);
  CHECK_EQ(r_satp(), keep);
  w_satp(SATP_SV57 | 0x12345);
  CHECK_EQ(r_satp(), keep);
  w_satp((1UL << SATP_MODE_SHIFT) | 0x12345);
  CHECK_EQ(r_satp(), keep);
  w_satp(0);
  CHECK_EQ(r_satp(), 0);
  test_end();
}

int main(uint64 hartid) {
  printf("priv-traps: M-mode traps, interrupts, delegation and CSR behaviour\n");
  trap_init();
  test_machine_info(hartid);
  test_zicsr();
  test_illegal();
  test_ecall_ebreak();
  test_misaligned_amo();
  test_access_faults();
  test_vectored_interrupts();
  test_delegation();
  test_xret();
  test_trap_virtualization();
  test_counters();
  test_pmp();
  test_satp();
  return test_finish("priv-traps");
}
