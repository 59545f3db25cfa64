// A hostile guest for the monitor (docs/monitor.md, invariant 8): it floods the monitor with
// every kind of trap and interrupt a guest can cause, then ends in a trap it cannot take, which
// stops its own VM (or, natively, the board) with a report. Its neighbours must not notice
// beyond sharing the CPUs.
//
//   ecall     FLOOD system calls from U-mode
//   illegal   FLOOD illegal instructions (a write to the read-only cycle CSR) from S-mode
//   ebreak    FLOOD breakpoints from S-mode
//   faults    FLOOD page faults from S-mode on unmapped addresses, each its own page
//   sfence    FLOOD sfence.vma from S-mode
//   timer     FLOOD machine timer interrupts: mtimecmp stays in the past until the last
//   software  FLOOD machine software interrupts: the handler raises msip again until the last
//   spaces    SPACES address spaces (satp roots) from S-mode, each used once: more shadow page
//             tables than the monitor keeps for one VM, so it must drop them and start over
// Then mtvec = 0, where nothing can be fetched, and a jump there: the fetch fault traps to the
// same address forever, which the board stops ("cannot fetch its trap handler").
//
// Nothing is delegated: every trap and interrupt lands in M-mode (lib/priv), whose hook counts
// it and resumes. The address spaces' roots lie in RAM past the image (_end), each mapping RAM
// by one identity gigapage.
#include "priv.h"
#include "test.h"
#include "virt.h"

#define RAM 0x80000000UL
#define FLOOD 2000
#define SPACES 1500
#define VA_UNMAPPED 0x40000000UL

extern char _end[];
static pte_t root[512] __attribute__((aligned(4096)));
static volatile uint64 counted[16];
static volatile uint64 timer_irqs, soft_irqs;

static int hook(struct trapframe *tf, uint64 cause) {
  trap_clear(); // a flood is no storm
  if (cause == (CAUSE_INTERRUPT | 7)) {
    if (++timer_irqs == FLOOD)
      clint_set_mtimecmp(0, ~0UL);
    return 1;
  }
  if (cause == (CAUSE_INTERRUPT | 3)) {
    if (++soft_irqs == FLOOD)
      clint_set_msip(0, 0);
    return 1;
  }
  if (cause < 16)
    counted[cause]++;
  return 0; // the default: resume after the instruction
}

static uint64 u_ecalls(uint64 n) {
  for (uint64 i = 0; i < n; i++)
    asm volatile("li a7, 0; ecall" ::: "a7", "memory");
  return n;
}

static uint64 s_illegal(uint64 n) {
  for (uint64 i = 0; i < n; i++)
    asm volatile("csrw cycle, zero");
  return n;
}

static uint64 s_ebreak(uint64 n) {
  for (uint64 i = 0; i < n; i++)
    asm volatile(".option push; .option norvc; ebreak; .option pop");
  return n;
}

static uint64 s_faults(uint64 n) {
  for (uint64 i = 0; i < n; i++)
    (void)*(volatile uint64 *)(VA_UNMAPPED + i * PGSIZE);
  return n;
}

static uint64 s_sfence(uint64 n) {
  for (uint64 i = 0; i < n; i++)
    sfence_vma_addr(RAM + (i % 64) * PGSIZE);
  return n;
}

static uint64 space_base;

static uint64 s_spaces(uint64 n) {
  for (uint64 i = 0; i < n; i++) {
    w_satp(MAKE_SATP(space_base + i * PGSIZE));
    (void)*(volatile uint64 *)(space_base + i * PGSIZE + 16);
  }
  w_satp(MAKE_SATP(root));
  return n;
}

static void expect(const char *what, uint64 got, uint64 want) {
  printf("  %-10s %ld\n", what, got);
  CHECK_EQ(got, want);
}

int main(uint64 hartid, uint64 dtb) {
  trap_init();
  mtrap_hook = hook;
  printf("hostile-flood: %d traps of each kind, %d interrupts of each kind, %d address spaces\n", FLOOD, FLOOD, SPACES);
  test_begin("traps");
  run_in_mode(PRV_U, u_ecalls, FLOOD); // with satp Bare: U-mode reaches RAM physically
  expect("ecall", counted[CAUSE_USER_ECALL], FLOOD);
  root[2] = PA2PTE(RAM) | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_V;
  space_base = PGROUNDUP((uint64)_end);
  for (uint64 i = 0; i < SPACES; i++)
    ((pte_t *)(space_base + i * PGSIZE))[2] = root[2];
  w_satp(MAKE_SATP(root));
  sfence_vma();
  run_in_mode(PRV_S, s_illegal, FLOOD);
  expect("illegal", counted[CAUSE_ILLEGAL_INSTRUCTION], FLOOD);
  run_in_mode(PRV_S, s_ebreak, FLOOD);
  expect("ebreak", counted[CAUSE_BREAKPOINT], FLOOD);
  run_in_mode(PRV_S, s_faults, FLOOD);
  expect("faults", counted[CAUSE_LOAD_PAGE_FAULT], FLOOD);
  run_in_mode(PRV_S, s_sfence, FLOOD);
  run_in_mode(PRV_S, s_spaces, SPACES);
  test_end();

  test_begin("interrupts");
  w_mie(MIE_MTIE | MIE_MSIE);
  clint_set_mtimecmp(0, 0);
  CSR_SET(mstatus, MSTATUS_MIE);
  while (timer_irqs < FLOOD)
    ;
  clint_set_msip(0, 1);
  while (soft_irqs < FLOOD)
    ;
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  expect("timer", timer_irqs, FLOOD);
  expect("software", soft_irqs, FLOOD);
  test_end();

  test_finish("hostile-flood");
  printf("hostile-flood: and now a trap handler that cannot be fetched\n");
  asm volatile("csrw mtvec, zero; jr zero");
  return 0;
}
