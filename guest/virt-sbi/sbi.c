// virt-sbi: the M-mode firmware of the virt board, in the role OpenSBI plays under QEMU.
//
// Every hart enters crt0 at 0x80000000 with a0 = hart id, a1 = device tree, a2 =
// fw_dynamic_info (the board's handoff: where the next stage is and in which mode). Hart 0 is
// the boot hart: it prepares itself and mret's into the kernel in S-mode at next_addr with
// a0 = hart id, a1 = device tree. The other harts prepare themselves and wait, stopped, until
// the kernel starts them with the HSM extension. Afterwards the firmware only runs in traps:
//
//   ecall from S        SBI v1.0 calls (a7 extension, a6 function, a0..a5 arguments; a0 error,
//                       a1 value): BASE, TIME, IPI, HSM, SRST, and legacy console putchar and
//                       getchar (extension 1, 2)
//   machine timer       the S timer programmed with sbi_set_timer is due: raise STIP
//   machine software    an IPI sent with sbi_send_ipi: raise SSIP
//
// The harts' timers and IPIs are the CLINT's; the console is the UART; shutdown and reboot go to
// the test finisher. Why each CSR is set is said where it is set.
#include "lib.h"
#include "riscv.h"
#include "virt.h"

#define NHART 8
#define SBI_SPEC_VERSION ((1UL << 24) | 0) // v1.0
#define SBI_IMPL_ID 0x666c // "fl": not a registered implementation id
#define SBI_IMPL_VERSION 1

#define EXT_BASE 0x10
#define EXT_LEGACY_PUTCHAR 0x01
#define EXT_LEGACY_GETCHAR 0x02
#define EXT_TIME 0x54494d45
#define EXT_IPI 0x735049
#define EXT_HSM 0x48534d
#define EXT_SRST 0x53525354

#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1L)
#define SBI_ERR_NOT_SUPPORTED (-2L)
#define SBI_ERR_INVALID_PARAM (-3L)
#define SBI_ERR_ALREADY_AVAILABLE (-6L)

#define HSM_STARTED 0
#define HSM_STOPPED 1
#define HSM_START_PENDING 2

#define FW_DYNAMIC_MAGIC 0x4942534f
struct fw_dynamic_info {
  uint64 magic, version, next_addr, next_mode, options, boot_hart;
};

struct sbi_regs {
  uint64 x[32];
};

// Per-hart state. The boot hart marks the others stopped before it enters the kernel; a
// hart_start (the kernel starts harts one call at a time) marks one start-pending, which
// releases it from its wait in secondary_main.
static volatile uint64 hsm_state[NHART];
static volatile uint64 start_addr[NHART], start_arg[NHART];
static uint64 mstack[NHART][512] __attribute__((aligned(16)));
static uint64 nharts;
extern char sbi_vector[];

// ---- Hart setup ----

static void hart_setup(uint64 hart) {
  // Our trap vector, on this hart's own M stack.
  w_mtvec((uint64)sbi_vector);
  w_mscratch((uint64)&mstack[hart][NELEM(mstack[hart])]);
  // Once a PMP entry exists S and U may reach only what an entry allows: allow everything.
  w_pmpaddr0(~0UL >> 10);
  w_pmpcfg0(PMP_A_NAPOT | PMP_R | PMP_W | PMP_X);
  // The kernel handles its own faults, system calls and breakpoints ...
  w_medeleg((1UL << CAUSE_MISALIGNED_FETCH) | (1UL << CAUSE_FETCH_ACCESS) | (1UL << CAUSE_ILLEGAL_INSTRUCTION) |
            (1UL << CAUSE_BREAKPOINT) | (1UL << CAUSE_MISALIGNED_LOAD) | (1UL << CAUSE_LOAD_ACCESS) |
            (1UL << CAUSE_MISALIGNED_STORE) | (1UL << CAUSE_STORE_ACCESS) | (1UL << CAUSE_USER_ECALL) |
            (1UL << CAUSE_FETCH_PAGE_FAULT) | (1UL << CAUSE_LOAD_PAGE_FAULT) | (1UL << CAUSE_STORE_PAGE_FAULT));
  // ... and the S-level interrupts we raise for it (SSIP, STIP) and the PLIC's S contexts (SEIP).
  w_mideleg(MIP_SSIP | MIP_STIP | MIP_SEIP);
  // No S timer until the kernel asks: mtimecmp resets to 0, which is already due.
  clint_set_mtimecmp(hart, ~0UL);
  // We keep the machine timer and software interrupts for ourselves (they reach M from S and U
  // whatever mstatus.MIE says).
  w_mie(MIE_MSIE);
  // The timer is ours to emulate (SBI TIME), so no Sstc: S cannot touch stimecmp.
  w_menvcfg(r_menvcfg() & ~MENVCFG_STCE);
  // S and U may read cycle, time and instret.
  w_mcounteren(COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR);
  w_satp(0);
}

// mret to `pc` in S-mode with a0, a1; interrupts off in S, as the SBI spec requires.
static void __attribute__((noreturn)) enter_s(uint64 pc, uint64 a0v, uint64 a1v) {
  uint64 s = r_mstatus();
  s &= ~(MSTATUS_MPP_MASK | MSTATUS_MPIE | MSTATUS_MPRV | MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_MIE);
  s |= MSTATUS_MPP_S;
  w_mstatus(s);
  w_mepc(pc);
  register uint64 a0 asm("a0") = a0v;
  register uint64 a1 asm("a1") = a1v;
  asm volatile("mret" : : "r"(a0), "r"(a1));
  __builtin_unreachable();
}

int main(uint64 hartid, uint64 dtb, struct fw_dynamic_info *fw) {
  uart_console();
  uint64 next = 0x80200000UL;
  if (fw && fw->magic == FW_DYNAMIC_MAGIC && fw->next_mode == 1)
    next = fw->next_addr;
  hart_setup(hartid);
  int n = fdt_count_cpus((const void *)dtb);
  nharts = n < 1 ? 1 : n > NHART ? NHART : n;
  printf("virt-sbi: SBI v1.0 firmware, %ld harts, next stage at 0x%lx (S-mode), device tree at 0x%lx\n", nharts,
         next, dtb);
  for (uint64 h = 0; h < nharts; h++)
    hsm_state[h] = h == hartid ? HSM_STARTED : HSM_STOPPED;
  enter_s(next, hartid, dtb);
}

// Harts other than 0 (crt0): set up, then wait, stopped, for an HSM start.
void secondary_main(uint64 hartid) {
  if (hartid >= NHART)
    for (;;)
      wfi();
  hart_setup(hartid);
  // mie.MSIE with mstatus.MIE clear: an IPI ends wfi without a trap.
  while (hsm_state[hartid] != HSM_START_PENDING)
    wfi();
  clint_set_msip(hartid, 0);
  __sync_synchronize();
  hsm_state[hartid] = HSM_STARTED;
  enter_s(start_addr[hartid], hartid, start_arg[hartid]);
}

// Raises or lowers S-level interrupt bits in mip. SEIP reads as the PLIC's line OR'ed with a
// software bit; a csrs/csrc on mip would write what it read back into the software bit, and
// on flashdisco's hart today that includes the PLIC's line (the spec says the read-modify-write
// must see only the software bit), leaving SEIP stuck high. We never raise SEIP ourselves, so
// write mip with it clear.
static void mip_update(uint64 set, uint64 clear) { w_mip(((r_mip() | set) & ~clear) & ~MIP_SEIP); }

// ---- SBI calls ----

static long sbi_base(uint64 fid, uint64 arg0, uint64 *value) {
  switch (fid) {
  case 0: *value = SBI_SPEC_VERSION; return SBI_SUCCESS;
  case 1: *value = SBI_IMPL_ID; return SBI_SUCCESS;
  case 2: *value = SBI_IMPL_VERSION; return SBI_SUCCESS;
  case 3: // probe_extension
    *value = arg0 == EXT_BASE || arg0 == EXT_TIME || arg0 == EXT_IPI || arg0 == EXT_HSM || arg0 == EXT_SRST ||
             arg0 == EXT_LEGACY_PUTCHAR || arg0 == EXT_LEGACY_GETCHAR;
    return SBI_SUCCESS;
  case 4: *value = r_mvendorid(); return SBI_SUCCESS;
  case 5: *value = r_marchid(); return SBI_SUCCESS;
  case 6: *value = r_mimpid(); return SBI_SUCCESS;
  }
  return SBI_ERR_NOT_SUPPORTED;
}

// sbi_set_timer(stime): the S timer fires when mtime reaches stime; setting it clears a
// pending one.
static long sbi_set_timer(uint64 hart, uint64 when) {
  clint_set_mtimecmp(hart, when);
  mip_update(0, MIP_STIP);
  CSR_SET(mie, MIE_MTIE);
  return SBI_SUCCESS;
}

// sbi_send_ipi(hart_mask, hart_mask_base): base -1 means every hart.
static long sbi_send_ipi(uint64 mask, uint64 base) {
  if (base == ~0UL) {
    mask = (1UL << nharts) - 1;
    base = 0;
  }
  for (uint64 i = 0; i < 64; i++) {
    if (!((mask >> i) & 1))
      continue;
    if (base + i >= nharts)
      return SBI_ERR_INVALID_PARAM;
    clint_set_msip(base + i, 1);
  }
  return SBI_SUCCESS;
}

static long sbi_hsm(uint64 fid, uint64 hart, uint64 addr, uint64 arg, uint64 *value) {
  switch (fid) {
  case 0: // hart_start(hartid, start_addr, opaque)
    if (hart >= nharts)
      return SBI_ERR_INVALID_PARAM;
    if (hsm_state[hart] != HSM_STOPPED)
      return SBI_ERR_ALREADY_AVAILABLE;
    start_addr[hart] = addr;
    start_arg[hart] = arg;
    __sync_synchronize(); // the start address before the state that releases the hart
    hsm_state[hart] = HSM_START_PENDING;
    clint_set_msip(hart, 1);
    return SBI_SUCCESS;
  case 2: // hart_get_status(hartid)
    if (hart >= nharts)
      return SBI_ERR_INVALID_PARAM;
    *value = hsm_state[hart];
    return SBI_SUCCESS;
  }
  return SBI_ERR_NOT_SUPPORTED;
}

// system_reset(type, reason): shutdown (0) exits with status 0, or 1 for reason "system
// failure"; cold (1) and warm (2) reboot ask the board for a reset.
static long sbi_srst(uint64 fid, uint64 type, uint64 reason) {
  if (fid != 0)
    return SBI_ERR_NOT_SUPPORTED;
  if (type == 0)
    finisher_exit(reason == 0 ? 0 : 1);
  if (type == 1 || type == 2)
    finisher_reset();
  return SBI_ERR_INVALID_PARAM;
}

static void ecall(struct sbi_regs *r) {
  uint64 ext = r->x[17], fid = r->x[16], value = 0;
  uint64 hart = r_mhartid();
  long err;
  switch (ext) {
  case EXT_LEGACY_PUTCHAR: uart_putc((int)r->x[10]); r->x[10] = 0; return;
  case EXT_LEGACY_GETCHAR: r->x[10] = (uint64)(long)uart_getc(); return;
  case EXT_BASE: err = sbi_base(fid, r->x[10], &value); break;
  case EXT_TIME: err = fid == 0 ? sbi_set_timer(hart, r->x[10]) : SBI_ERR_NOT_SUPPORTED; break;
  case EXT_IPI: err = fid == 0 ? sbi_send_ipi(r->x[10], r->x[11]) : SBI_ERR_NOT_SUPPORTED; break;
  case EXT_HSM: err = sbi_hsm(fid, r->x[10], r->x[11], r->x[12], &value); break;
  case EXT_SRST: err = sbi_srst(fid, r->x[10], r->x[11]); break;
  default: err = SBI_ERR_NOT_SUPPORTED;
  }
  r->x[10] = err;
  r->x[11] = value;
}

void sbi_trap(struct sbi_regs *r) {
  uint64 cause = r_mcause(), hart = r_mhartid();
  if (cause == CAUSE_SUPERVISOR_ECALL) {
    ecall(r);
    w_mepc(r_mepc() + 4);
  } else if (cause == (CAUSE_INTERRUPT | IRQ_M_TIMER)) {
    // The S timer is due: hand it to S and stop the machine timer until the next set_timer.
    CSR_CLEAR(mie, MIE_MTIE);
    mip_update(MIP_STIP, 0);
  } else if (cause == (CAUSE_INTERRUPT | IRQ_M_SOFT)) {
    clint_set_msip(hart, 0);
    mip_update(MIP_SSIP, 0);
  } else {
    printf("virt-sbi: hart %ld: unexpected trap mcause 0x%lx mepc 0x%lx mtval 0x%lx\n", hart, cause, r_mepc(),
           r_mtval());
    finisher_exit(99);
  }
}
