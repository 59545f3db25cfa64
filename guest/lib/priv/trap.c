// Default trap policy for the privileged tests; see priv.h.
#include "priv.h"

volatile struct trapinfo mtrap, strap;
int (*mtrap_hook)(struct trapframe *tf, uint64 cause);
int (*strap_hook)(struct trapframe *tf, uint64 cause);
volatile uint64 trap_resume;
volatile uint64 lower_offset;

extern uint64 run_saved_sp;
extern char run_in_mode_resume[], mtrap_stack_top[], strap_stack_top[];

// A test that goes wrong can trap on the same instruction forever; stop after this many
// traps without a trap_clear() and say where.
#define TRAP_STORM 200
static int storm;

void trap_init(void) {
  // No PMP entry would mean "no access" for S and U once any entry exists: allow everything.
  w_pmpaddr0(~0UL >> 10);
  w_pmpcfg0(PMP_A_NAPOT | PMP_R | PMP_W | PMP_X);
  w_medeleg(0);
  w_mideleg(0);
  w_mie(0);
  CSR_CLEAR(mstatus, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_MPRV |
                         MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_SUM | MSTATUS_MXR);
  w_mscratch((uint64)mtrap_stack_top);
  w_sscratch((uint64)strap_stack_top);
  w_mtvec((uint64)mtrap_direct);
  w_stvec((uint64)strap_direct);
  trap_clear();
}

void trap_clear(void) {
  mtrap.count = 0;
  mtrap.cause = mtrap.epc = mtrap.tval = ~0UL;
  mtrap.vec = -2;
  strap.count = 0;
  strap.cause = strap.epc = strap.tval = ~0UL;
  storm = 0;
}

void mtrap_set_vectored(int on) {
  w_mtvec(on ? (uint64)mtrap_vectors | MTVEC_VECTORED : (uint64)mtrap_direct);
}

static int insn_length(uint64 epc) {
  uint16 low = *(volatile uint16 *)(epc - lower_offset);
  return (low & 3) == 3 ? 4 : 2;
}

static int is_fetch_fault(uint64 cause) {
  return cause == CAUSE_MISALIGNED_FETCH || cause == CAUSE_FETCH_ACCESS ||
         cause == CAUSE_FETCH_PAGE_FAULT;
}

// Where execution goes after an exception nobody else handled: the one-shot resume address,
// or the caller of a function whose fetch failed (tests jump with jalr ra), or the next
// instruction.
static uint64 resume_pc(struct trapframe *tf, uint64 cause, uint64 epc) {
  if (trap_resume) {
    uint64 pc = trap_resume;
    trap_resume = 0;
    return pc;
  }
  if (is_fetch_fault(cause))
    return TF_REG(tf, REG_RA);
  return epc + insn_length(epc);
}

static void stormcheck(const char *who, uint64 cause, uint64 epc, uint64 tval) {
  if (++storm < TRAP_STORM)
    return;
  printf("%s: trap storm, last cause 0x%lx epc 0x%lx tval 0x%lx\n", who, cause, epc, tval);
  exit(97);
}

void mtrap_handler(struct trapframe *tf) {
  uint64 cause = r_mcause(), epc = r_mepc(), tval = r_mtval(), status = r_mstatus();
  int prev = (status & MSTATUS_MPP_MASK) >> MSTATUS_MPP_SHIFT;
  if ((cause == CAUSE_USER_ECALL || cause == CAUSE_SUPERVISOR_ECALL) &&
      TF_REG(tf, REG_A7) == RETURN_MAGIC) {
    // End of run_in_mode: resume its M-mode frame; MPIE clear so that mret leaves MIE off.
    TF_REG(tf, REG_SP) = run_saved_sp;
    w_mepc((uint64)run_in_mode_resume);
    CSR_SET(mstatus, MSTATUS_MPP_M);
    CSR_CLEAR(mstatus, MSTATUS_MPIE);
    return;
  }
  mtrap.count++;
  mtrap.cause = cause;
  mtrap.epc = epc;
  mtrap.tval = tval;
  mtrap.vec = (int64)tf->vec;
  mtrap.status = status;
  mtrap.prev = prev;
  stormcheck("mtrap", cause, epc, tval);
  if (mtrap_hook && mtrap_hook(tf, cause))
    return;
  if (cause & CAUSE_INTERRUPT) {
    printf("mtrap: unexpected interrupt 0x%lx at 0x%lx\n", cause, epc);
    exit(96);
  }
  w_mepc(resume_pc(tf, cause, epc));
}

void strap_handler(struct trapframe *tf) {
  uint64 cause = r_scause(), epc = r_sepc(), tval = r_stval(), status = r_sstatus();
  if (cause == CAUSE_USER_ECALL && TF_REG(tf, REG_A7) == RETURN_MAGIC)
    ecall_return(TF_REG(tf, REG_A0)); // hand the run back to M-mode
  strap.count++;
  strap.cause = cause;
  strap.epc = epc;
  strap.tval = tval;
  strap.vec = -1;
  strap.status = status;
  strap.prev = (status & MSTATUS_SPP) ? PRV_S : PRV_U;
  stormcheck("strap", cause, epc, tval);
  if (strap_hook && strap_hook(tf, cause))
    return;
  if (cause & CAUSE_INTERRUPT) {
    printf("strap: unexpected interrupt 0x%lx at 0x%lx\n", cause, epc);
    exit(96);
  }
  w_sepc(resume_pc(tf, cause, epc));
}
