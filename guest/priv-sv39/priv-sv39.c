// Sv39 address translation from S-, U- and M-mode (MPRV): 4 KiB pages, 2 MiB and 1 GiB
// superpages, every page-fault cause with its tval, hardware A/D updates, U/SUM/MXR,
// sfence.vma and the malformed-PTE cases that must fault.
//
// Nothing is delegated, so every fault lands in M-mode, which runs with translation off and
// records it (lib/priv). Test code runs in S-mode through the identity gigapage, and in U-mode
// through an alias gigapage with U set.
//
// Virtual map (root table `root`):
//   0x0_4000_0000  VPN2 1  -> l1
//       +0x000000  l1[0] -> l0: one 4 KiB page per case, see enum page below
//       +0x200000  l1[1]    2 MiB page at MEGA_PA, A and D clear
//       +0x400000  l1[2]    2 MiB page whose PPN is not 2 MiB aligned: must fault
//       +0x600000  l1[3] -> l0_bad, whose entry 0 is a pointer at the last level: must fault
//   0x0_8000_0000  VPN2 2   1 GiB identity map of RAM (code, data, stacks, page tables)
//   0x0_c000_0000  VPN2 3   1 GiB page onto RAM again
//   0x1_0000_0000  VPN2 4   1 GiB page at a PPN that is not 1 GiB aligned: must fault
//   0x1_8000_0000  VPN2 6   1 GiB alias of RAM with U set: U-mode code runs here
//   0xffff_ffc0_0000_0000 VPN2 256  1 GiB page onto RAM (upper half, sign-extended)
#include "priv.h"
#include "probes.h"
#include "test.h"

#define RAM 0x80000000UL
#define ALIAS_OFFSET 0x100000000UL
#define VA_BASE 0x40000000UL
#define VA(i) (VA_BASE + (uint64)(i) * PGSIZE)
#define VA_MEGA (VA_BASE + 0x200000)
#define VA_MEGA_MISALIGNED (VA_BASE + 0x400000)
#define VA_BAD_NONLEAF (VA_BASE + 0x600000)
#define VA_GIGA 0xc0000000UL
#define VA_GIGA_MISALIGNED 0x100000000UL
#define VA_HIGH 0xffffffc000000000UL
#define VA_NONCANONICAL 0x0000008000000000UL // bit 39 set, bit 38 clear
#define MEGA_PA (RAM + 0x800000)

enum page {
  PG_RW,      // page_a  R W
  PG_RO,      // page_b  R
  PG_INVALID, // V clear
  PG_AD,      // page_c  R W, A and D clear
  PG_XONLY,   // page_d  X (code)
  PG_USER,    // page_a  R W U
  PG_WONLY,   // page_a  W without R: reserved
  PG_NOX,     // page_e  R W (code that must not run)
  PG_RSVD,    // page_a  R W with a reserved high bit set
  PG_REMAP,   // page_a, later page_b: sfence.vma
  PG_UX,      // page_d  R X U (code for U-mode)
  PG_CLEAN,   // page_f  R W A, D clear
  PG_XEND,    // page_g  R X: a 32-bit instruction starts in its last 2 bytes
  PG_XNEXT,   // V clear: the rest of that instruction
  PG_XA,      // page_d  R X, A clear
  NPAGES
};

static pte_t root[512] __attribute__((aligned(4096)));
static pte_t l1[512] __attribute__((aligned(4096)));
static pte_t l0[512] __attribute__((aligned(4096)));
static pte_t l0_bad[512] __attribute__((aligned(4096)));
static uint8 page_a[4096] __attribute__((aligned(4096)));
static uint8 page_b[4096] __attribute__((aligned(4096)));
static uint8 page_c[4096] __attribute__((aligned(4096)));
static uint8 page_d[4096] __attribute__((aligned(4096)));
static uint8 page_e[4096] __attribute__((aligned(4096)));
static uint8 page_f[4096] __attribute__((aligned(4096)));
static uint8 page_g[4096] __attribute__((aligned(4096)));

#define VAL_A 0xaaaa0000aaaa0001UL
#define VAL_B 0xbbbb0000bbbb0002UL
#define VAL_C 0xcccc0000cccc0003UL
#define VAL_MEGA 0x3e9a3e9a3e9a0004UL
#define LI_A0_42 0x02a00513U // addi a0, zero, 42
#define C_RET 0x8082U        // c.jr ra

static pte_t leaf(void *pa, uint64 flags) { return PA2PTE(pa) | flags | PTE_V; }
static pte_t leaf_pa(uint64 pa, uint64 flags) { return PA2PTE(pa) | flags | PTE_V; }
static pte_t pointer(pte_t *table) { return PA2PTE(table) | PTE_V; }

static void put_code(uint8 *page, uint64 off) {
  *(uint32 *)(page + off) = LI_A0_42;
  *(uint16 *)(page + off + 4) = C_RET;
}

static void build_tables(void) {
  *(uint64 *)page_a = VAL_A;
  *(uint64 *)page_b = VAL_B;
  *(uint64 *)page_c = VAL_C;
  *(uint64 *)(MEGA_PA + 0x1238) = VAL_MEGA;
  put_code(page_d, 0);
  put_code(page_e, 0);
  *(uint16 *)(page_g + 4094) = LI_A0_42 & 0xffff; // the other half would be on PG_XNEXT
  asm volatile("fence.i");

  root[1] = pointer(l1);
  root[2] = leaf_pa(RAM, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
  root[3] = leaf_pa(RAM, PTE_R | PTE_W | PTE_A | PTE_D);
  root[4] = leaf_pa(RAM + 0x200000, PTE_R | PTE_W | PTE_A | PTE_D);
  root[6] = leaf_pa(RAM, PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
  root[256] = leaf_pa(RAM, PTE_R | PTE_W | PTE_A | PTE_D);
  l1[0] = pointer(l0);
  l1[1] = leaf_pa(MEGA_PA, PTE_R | PTE_W);
  l1[2] = leaf_pa(MEGA_PA + PGSIZE, PTE_R | PTE_W | PTE_A | PTE_D);
  l1[3] = pointer(l0_bad);
  l0_bad[0] = pointer(l0);

  l0[PG_RW] = leaf(page_a, PTE_R | PTE_W | PTE_A | PTE_D);
  l0[PG_RO] = leaf(page_b, PTE_R | PTE_A);
  l0[PG_INVALID] = PA2PTE(page_a) | PTE_R | PTE_W | PTE_A | PTE_D; // no V
  l0[PG_AD] = leaf(page_c, PTE_R | PTE_W);
  l0[PG_XONLY] = leaf(page_d, PTE_X | PTE_A);
  l0[PG_USER] = leaf(page_a, PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
  l0[PG_WONLY] = leaf(page_a, PTE_W | PTE_A | PTE_D);
  l0[PG_NOX] = leaf(page_e, PTE_R | PTE_W | PTE_A | PTE_D);
  l0[PG_RSVD] = leaf(page_a, PTE_R | PTE_W | PTE_A | PTE_D) | (1UL << 60);
  l0[PG_REMAP] = leaf(page_a, PTE_R | PTE_W | PTE_A | PTE_D);
  l0[PG_UX] = leaf(page_d, PTE_R | PTE_X | PTE_U | PTE_A);
  l0[PG_CLEAN] = leaf(page_f, PTE_R | PTE_W | PTE_A);
  l0[PG_XEND] = leaf(page_g, PTE_R | PTE_X | PTE_A);
  l0[PG_XNEXT] = 0;
  l0[PG_XA] = leaf(page_d, PTE_R | PTE_X);

  w_satp(MAKE_SATP(root));
  sfence_vma();
}

static uint64 run_s(probe_fn f, uint64 arg) { return run_in_mode(PRV_S, f, arg); }

static uint64 run_u(probe_fn f, uint64 arg) {
  lower_offset = ALIAS_OFFSET;
  uint64 r = run_in_mode(PRV_U, f, arg);
  lower_offset = 0;
  return r;
}

// Checks that the last run took exactly one page fault of `cause` at `va`.
static void expect_fault(int line, const char *what, uint64 cause, uint64 va) {
  int ok = mtrap.count == 1 && mtrap.cause == cause && mtrap.tval == va;
  check_true(line, what, ok);
  if (!ok)
    printf("      traps %ld, mcause 0x%lx (want 0x%lx), mtval 0x%lx (want 0x%lx), mepc 0x%lx\n",
           mtrap.count, mtrap.cause, cause, mtrap.tval, va, mtrap.epc);
}

#define S_FAULT(probe, va, cause)                                                              \
  do {                                                                                         \
    trap_clear();                                                                              \
    run_s(probe, va);                                                                          \
    expect_fault(__LINE__, "S " #probe "(" #va ") faults with " #cause, cause, va);            \
  } while (0)

#define U_FAULT(probe, va, cause)                                                              \
  do {                                                                                         \
    trap_clear();                                                                              \
    run_u(probe, va);                                                                          \
    expect_fault(__LINE__, "U " #probe "(" #va ") faults with " #cause, cause, va);            \
  } while (0)

#define NO_TRAP() CHECK_EQ(mtrap.count, 0)

static void test_translation(void) {
  test_begin("4K/2M/1G translation");
  trap_clear();
  CHECK_EQ(run_s(probe_ld, VA(PG_RW)), VAL_A);
  CHECK_EQ(run_s(probe_ld, VA(PG_RO)), VAL_B);
  CHECK_EQ(run_s(probe_ld, VA_MEGA + 0x1238), VAL_MEGA);
  CHECK_EQ(run_s(probe_ld, VA_GIGA + ((uint64)page_c - RAM)), VAL_C);
  CHECK_EQ(run_s(probe_ld, VA_HIGH + ((uint64)page_b - RAM)), VAL_B);
  NO_TRAP();
  run_s(probe_sd, VA(PG_RW) + 8);
  CHECK_EQ(*(uint64 *)(page_a + 8), VA(PG_RW) + 8);
  run_s(probe_sd, VA_GIGA + ((uint64)page_c - RAM) + 16);
  CHECK_EQ(*(uint64 *)(page_c + 16), VA_GIGA + ((uint64)page_c - RAM) + 16);
  NO_TRAP();
  CHECK_EQ(run_s(probe_jump, VA(PG_XONLY)), 42);
  NO_TRAP();
  test_end();
}

static void test_page_faults(void) {
  test_begin("page faults");
  S_FAULT(probe_ld, VA(PG_INVALID), CAUSE_LOAD_PAGE_FAULT);
  S_FAULT(probe_sd, VA(PG_INVALID), CAUSE_STORE_PAGE_FAULT);
  S_FAULT(probe_jump, VA(PG_INVALID), CAUSE_FETCH_PAGE_FAULT);
  CHECK_EQ(mtrap.epc, VA(PG_INVALID));
  S_FAULT(probe_sd, VA(PG_RO) + 8, CAUSE_STORE_PAGE_FAULT);
  S_FAULT(probe_amoadd_d, VA(PG_RO), CAUSE_STORE_PAGE_FAULT);
  S_FAULT(probe_sc_d, VA(PG_RO), CAUSE_STORE_PAGE_FAULT);
  CHECK_EQ(*(uint64 *)page_b, VAL_B);
  CHECK_EQ(l0[PG_RO] & PTE_D, 0); // a faulting store must not mark the page dirty
  S_FAULT(probe_lr_d, VA(PG_INVALID), CAUSE_LOAD_PAGE_FAULT);
  S_FAULT(probe_jump, VA(PG_NOX), CAUSE_FETCH_PAGE_FAULT);
  S_FAULT(probe_ld, VA(PG_XONLY), CAUSE_LOAD_PAGE_FAULT);
  S_FAULT(probe_sd, VA(PG_XONLY), CAUSE_STORE_PAGE_FAULT);
  S_FAULT(probe_lbu, VA(PG_WONLY) + 3, CAUSE_LOAD_PAGE_FAULT);
  S_FAULT(probe_sd, VA(PG_WONLY), CAUSE_STORE_PAGE_FAULT);
  S_FAULT(probe_ld, VA(PG_RSVD), CAUSE_LOAD_PAGE_FAULT);
  S_FAULT(probe_ld, VA_MEGA_MISALIGNED + 8, CAUSE_LOAD_PAGE_FAULT);
  S_FAULT(probe_ld, VA_GIGA_MISALIGNED + 0x1000, CAUSE_LOAD_PAGE_FAULT);
  S_FAULT(probe_ld, VA_BAD_NONLEAF, CAUSE_LOAD_PAGE_FAULT);
  S_FAULT(probe_ld, VA_NONCANONICAL, CAUSE_LOAD_PAGE_FAULT);
  S_FAULT(probe_sd, VA_NONCANONICAL + 0x1000, CAUSE_STORE_PAGE_FAULT);
  S_FAULT(probe_ld, 0x7fc0000000UL, CAUSE_LOAD_PAGE_FAULT); // canonical, VPN2 255: no entry
  S_FAULT(probe_ld, 0xfffffff000000000UL, CAUSE_LOAD_PAGE_FAULT); // canonical high, no entry
  // a 32-bit instruction straddling into an unmapped page: epc is its start, tval the
  // address of the part that could not be fetched
  S_FAULT(probe_jump, VA(PG_XNEXT), CAUSE_FETCH_PAGE_FAULT);
  trap_clear();
  run_s(probe_jump, VA(PG_XEND) + 4094);
  expect_fault(__LINE__, "fetch across into an unmapped page", CAUSE_FETCH_PAGE_FAULT, VA(PG_XNEXT));
  CHECK_EQ(mtrap.epc, VA(PG_XEND) + 4094);
  test_end();
}

static void test_accessed_dirty(void) {
  test_begin("A/D updates");
  trap_clear();
  CHECK_EQ(run_s(probe_ld, VA(PG_AD)), VAL_C);
  NO_TRAP();
  CHECK_EQ(l0[PG_AD] & (PTE_A | PTE_D), PTE_A);
  run_s(probe_sd, VA(PG_AD) + 8);
  NO_TRAP();
  CHECK_EQ(l0[PG_AD] & (PTE_A | PTE_D), PTE_A | PTE_D);
  run_s(probe_sd, VA(PG_CLEAN));
  NO_TRAP();
  CHECK_EQ(l0[PG_CLEAN] & (PTE_A | PTE_D), PTE_A | PTE_D);
  CHECK_EQ(*(uint64 *)page_f, VA(PG_CLEAN));
  CHECK_EQ(run_s(probe_ld, VA_MEGA + 0x1238), VAL_MEGA);
  CHECK_EQ(l1[1] & (PTE_A | PTE_D), PTE_A);
  CHECK_EQ(run_s(probe_jump, VA(PG_XA)), 42);
  NO_TRAP();
  CHECK_EQ(l0[PG_XA] & (PTE_A | PTE_D), PTE_A);
  // the rest of the entry is left alone
  CHECK_EQ(l0[PG_AD], leaf(page_c, PTE_R | PTE_W | PTE_A | PTE_D));
  test_end();
}

static uint64 s_sum_load(uint64 va) {
  CSR_SET(sstatus, MSTATUS_SUM);
  uint64 v = probe_ld(va);
  CSR_CLEAR(sstatus, MSTATUS_SUM);
  return v;
}

static uint64 s_sum_fetch(uint64 va) {
  CSR_SET(sstatus, MSTATUS_SUM);
  uint64 v = probe_jump(va);
  CSR_CLEAR(sstatus, MSTATUS_SUM);
  return v;
}

static uint64 s_mxr_load(uint64 va) {
  CSR_SET(sstatus, MSTATUS_MXR);
  uint64 v = probe_ld(va);
  CSR_CLEAR(sstatus, MSTATUS_MXR);
  return v;
}

static void test_user_sum_mxr(void) {
  test_begin("U/SUM/MXR");
  // S touching a U page needs SUM, and may never execute it
  S_FAULT(probe_ld, VA(PG_USER), CAUSE_LOAD_PAGE_FAULT);
  S_FAULT(probe_sd, VA(PG_USER), CAUSE_STORE_PAGE_FAULT);
  trap_clear();
  CHECK_EQ(run_s(s_sum_load, VA(PG_USER)), VAL_A);
  NO_TRAP();
  S_FAULT(s_sum_fetch, VA(PG_UX), CAUSE_FETCH_PAGE_FAULT);
  // U reaches only U pages
  trap_clear();
  CHECK_EQ(run_u(probe_ld, VA(PG_USER)), VAL_A);
  CHECK_EQ(run_u(probe_jump, VA(PG_UX)), 42);
  NO_TRAP();
  U_FAULT(probe_ld, VA(PG_RW), CAUSE_LOAD_PAGE_FAULT);
  U_FAULT(probe_sd, VA(PG_RW), CAUSE_STORE_PAGE_FAULT);
  U_FAULT(probe_jump, VA(PG_XONLY), CAUSE_FETCH_PAGE_FAULT);
  U_FAULT(probe_sd, VA(PG_UX), CAUSE_STORE_PAGE_FAULT);
  // MXR makes execute-only pages readable
  trap_clear();
  CHECK_EQ(run_s(s_mxr_load, VA(PG_XONLY)), ((uint64)C_RET << 32) | LI_A0_42);
  NO_TRAP();
  test_end();
}

static uint64 remap_seen[3];

static uint64 s_remap(uint64 unused) {
  volatile uint64 *p = (volatile uint64 *)VA(PG_REMAP);
  remap_seen[0] = *p;
  l0[PG_REMAP] = leaf(page_b, PTE_R | PTE_W | PTE_A | PTE_D);
  sfence_vma_addr(VA(PG_REMAP));
  remap_seen[1] = *p;
  l0[PG_REMAP] = leaf(page_c, PTE_R | PTE_W | PTE_A | PTE_D);
  sfence_vma();
  remap_seen[2] = *p;
  return 0;
}

static void test_sfence(void) {
  test_begin("sfence.vma");
  trap_clear();
  run_s(s_remap, 0);
  NO_TRAP();
  CHECK_EQ(remap_seen[0], VAL_A);
  CHECK_EQ(remap_seen[1], VAL_B);
  CHECK_EQ(remap_seen[2], VAL_C);
  // a PTE made valid after a fault is used once fenced
  l0[PG_INVALID] |= PTE_V;
  sfence_vma();
  CHECK_EQ(run_s(probe_ld, VA(PG_INVALID)), VAL_A);
  NO_TRAP();
  l0[PG_INVALID] &= ~PTE_V;
  sfence_vma();
  test_end();
}

extern uint64 mprv_ld(uint64 va, uint64 bits);
extern uint64 mprv_sd(uint64 va, uint64 bits);
extern char mprv_ld_site[], mprv_sd_site[];

static void test_mprv(void) {
  test_begin("MPRV");
  trap_clear();
  CHECK_EQ(mprv_ld(VA(PG_RW), MSTATUS_MPP_S), VAL_A);
  CHECK_EQ(mprv_ld(VA_MEGA + 0x1238, MSTATUS_MPP_S), VAL_MEGA);
  CHECK_EQ(mprv_ld((uint64)page_b, MSTATUS_MPP_M), VAL_B); // MPP = M: no translation
  CHECK_EQ(mprv_ld(VA(PG_USER), MSTATUS_MPP_S | MSTATUS_SUM), VAL_A);
  CHECK_EQ(mprv_ld(VA(PG_USER), MSTATUS_MPP_U), VAL_A);
  CHECK_EQ(mprv_ld(VA(PG_XONLY), MSTATUS_MPP_S | MSTATUS_MXR), ((uint64)C_RET << 32) | LI_A0_42);
  mprv_sd(VA(PG_RW) + 24, MSTATUS_MPP_S);
  CHECK_EQ(*(uint64 *)(page_a + 24), VA(PG_RW) + 24);
  NO_TRAP();

  trap_clear();
  mprv_ld(VA(PG_INVALID), MSTATUS_MPP_S);
  expect_fault(__LINE__, "MPRV load from an invalid page", CAUSE_LOAD_PAGE_FAULT, VA(PG_INVALID));
  CHECK_EQ(mtrap.epc, (uint64)mprv_ld_site);
  CHECK_EQ(mtrap.prev, PRV_M);
  trap_clear();
  mprv_ld(VA(PG_USER), MSTATUS_MPP_S);
  expect_fault(__LINE__, "MPRV S load from a U page without SUM", CAUSE_LOAD_PAGE_FAULT, VA(PG_USER));
  trap_clear();
  mprv_ld(VA(PG_RW), MSTATUS_MPP_U);
  expect_fault(__LINE__, "MPRV U load from an S page", CAUSE_LOAD_PAGE_FAULT, VA(PG_RW));
  trap_clear();
  mprv_sd(VA(PG_RO), MSTATUS_MPP_S);
  expect_fault(__LINE__, "MPRV store to a read-only page", CAUSE_STORE_PAGE_FAULT, VA(PG_RO));
  CHECK_EQ(mtrap.epc, (uint64)mprv_sd_site);
  CHECK_EQ(r_mstatus() & MSTATUS_MPRV, 0);
  test_end();
}

int main(void) {
  printf("priv-sv39: Sv39 translation, page faults, A/D, SUM/MXR, sfence.vma, MPRV\n");
  trap_init();
  build_tables();
  test_translation();
  test_page_faults();
  test_accessed_dirty();
  test_user_sum_mxr();
  test_sfence();
  test_mprv();
  w_satp(0);
  sfence_vma();
  return test_finish("priv-sv39");
}
