// M-mode stub: the firmware of this machine. crt0 calls main() here in M-mode; it prepares
// the machine for an S-mode kernel the way OpenSBI would and mret's into kmain. Afterwards it
// only answers SBI calls (ecall from S): console output and system reset. Every CSR write below
// says why it is needed.
#include "defs.h"

extern char mvec[];
extern void kmain(uint64 hartid);

static uint64 mstack[512] __attribute__((aligned(16)));

// Exceptions S handles itself: everything that can happen in S or U except ecall from S
// (that is how S calls us) and ecall from M.
#define DELEGATED_EXCEPTIONS                                                                   \
  ((1UL << CAUSE_MISALIGNED_FETCH) | (1UL << CAUSE_FETCH_ACCESS) |                             \
   (1UL << CAUSE_ILLEGAL_INSTRUCTION) | (1UL << CAUSE_BREAKPOINT) |                            \
   (1UL << CAUSE_MISALIGNED_LOAD) | (1UL << CAUSE_LOAD_ACCESS) |                               \
   (1UL << CAUSE_MISALIGNED_STORE) | (1UL << CAUSE_STORE_ACCESS) | (1UL << CAUSE_USER_ECALL) | \
   (1UL << CAUSE_FETCH_PAGE_FAULT) | (1UL << CAUSE_LOAD_PAGE_FAULT) |                          \
   (1UL << CAUSE_STORE_PAGE_FAULT))

int main(uint64 hartid) {
  // Our own trap vector, on our own stack, for the SBI calls.
  w_mtvec((uint64)mvec);
  w_mscratch((uint64)&mstack[NELEM(mstack)]);
  // Once any PMP entry exists, S and U may touch only what an entry allows: allow everything.
  w_pmpaddr0(~0UL >> 10);
  w_pmpcfg0(PMP_A_NAPOT | PMP_R | PMP_W | PMP_X);
  // The kernel handles its own faults, system calls and S-level interrupts.
  w_medeleg(DELEGATED_EXCEPTIONS);
  w_mideleg(MIP_SSIP | MIP_STIP | MIP_SEIP);
  w_mie(0);
  // Sstc: S programs its timer through stimecmp directly instead of an SBI call.
  w_menvcfg(r_menvcfg() | MENVCFG_STCE);
  // S may read cycle, time and instret (time is also required for stimecmp access).
  w_mcounteren(COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR);
  // The kernel starts with translation off and turns it on itself.
  w_satp(0);
  // mret to kmain in S-mode with interrupts off.
  uint64 s = r_mstatus();
  s &= ~(MSTATUS_MPP_MASK | MSTATUS_MPIE | MSTATUS_MPRV | MSTATUS_SIE | MSTATUS_SPIE);
  s |= MSTATUS_MPP_S;
  w_mstatus(s);
  w_mepc((uint64)kmain);
  register uint64 a0 asm("a0") = hartid;
  asm volatile("mret" : : "r"(a0));
  __builtin_unreachable();
}

// ---- SBI (the subset this kernel uses; SBI spec v1.0 numbering) ----

#define SBI_LEGACY_CONSOLE_PUTCHAR 0x01
#define SBI_EXT_SRST 0x53525354
#define SBI_ERR_NOT_SUPPORTED (-2L)

// Registers as mvec.S saves them: x[n] is xn.
struct mregs {
  uint64 x[32];
};

static void unexpected(uint64 cause) {
  console_putc_hook = 0; // M-mode: no SBI to call
  exit_hook = 0;
  printf("m-stub: unexpected trap mcause 0x%lx mepc 0x%lx mtval 0x%lx\n", cause, r_mepc(),
         r_mtval());
  htif_exit(PANIC_EXIT_CODE);
}

void sbi_trap(struct mregs *r) {
  uint64 cause = r_mcause();
  if (cause != CAUSE_SUPERVISOR_ECALL)
    unexpected(cause);
  uint64 ext = r->x[17], fid = r->x[16];
  long error = 0;
  if (ext == SBI_LEGACY_CONSOLE_PUTCHAR) {
    htif_putchar((int)r->x[10]);
  } else if (ext == SBI_EXT_SRST && fid == 0) {
    // system_reset(type, reason): reason 0 is "no reason"; our kernel passes a failing exit
    // code as the implementation-specific reason 0xF0000000 + code; anything else is 1.
    uint64 reason = r->x[11];
    htif_exit(reason == 0 ? 0 : (reason >> 8) == 0xF00000 ? (int)(reason & 0xff) : 1);
  } else {
    error = SBI_ERR_NOT_SUPPORTED;
  }
  r->x[10] = error;
  w_mepc(r_mepc() + 4);
}
