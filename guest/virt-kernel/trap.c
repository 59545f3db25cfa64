// Traps into the kernel (xv6 kernel/trap.c). From U-mode (uservec): system calls, interrupts
// (the timer preempts), page faults (demand paging, or the end of the process). In S-mode
// (kernelvec) only interrupts, and only in the scheduler's idle wait.
#include "defs.h"

#define INTR_EXTERNAL 1
#define INTR_SOFTWARE 2
#define INTR_TIMER 3

void trapinithart(void) {
  w_stvec((uint64)kernelvec);
  w_sie(SIE_SEIE | SIE_STIE | SIE_SSIE);
  plic_threshold(PLIC_CTX_S(cpuid()), 0);
}

static int is_page_fault(uint64 cause) {
  return cause == CAUSE_FETCH_PAGE_FAULT || cause == CAUSE_LOAD_PAGE_FAULT || cause == CAUSE_STORE_PAGE_FAULT;
}

// Handles an interrupt; says which kind, or 0 if scause is no interrupt we know.
int devintr(uint64 scause) {
  struct cpu *c = mycpu();
  if (scause == (CAUSE_INTERRUPT | IRQ_S_EXT)) {
    c->interrupts++;
    int ctx = PLIC_CTX_S(cpuid());
    int irq = plic_claim(ctx);
    if (irq == machine.uart_irq)
      consoleintr();
    else if (irq)
      diskintr();
    if (irq)
      plic_complete(ctx, irq);
    return INTR_EXTERNAL;
  }
  if (scause == (CAUSE_INTERRUPT | IRQ_S_SOFT)) {
    c->ipis++;
    CSR_CLEAR(sip, SIP_SSIP);
    return INTR_SOFTWARE;
  }
  if (scause == (CAUSE_INTERRUPT | IRQ_S_TIMER)) {
    c->interrupts++;
    return INTR_TIMER;
  }
  return 0;
}

void usertrap(struct trapframe *tf) {
  struct proc *p = myproc();
  uint64 cause = r_scause();
  tf->epc = r_sepc();
  if (cause == CAUSE_USER_ECALL) {
    tf->epc += 4;
    syscall(p);
  } else if (cause & CAUSE_INTERRUPT) {
    if (devintr(cause) == INTR_TIMER) {
      kick_idle_harts(); // a hart with nothing of its own to run may take this process
      yield(1);
    }
  } else if (is_page_fault(cause) && uvmdemand(p, r_stval())) {
    // mapped: retry the instruction
  } else {
    printf("[kernel] pid %d (%s): scause 0x%lx at pc 0x%lx, stval 0x%lx: killed\n", p->pid, p->name, cause, tf->epc,
           r_stval());
    exitproc(-1);
  }
  usertrapret(p);
}

// To user mode at tf->epc, interrupts on there.
void usertrapret(struct proc *p) {
  struct cpu *c = mycpu();
  if (c->new_slice) {
    c->new_slice = 0;
    sbi_set_timer(r_time() + machine.timebase * TIMESLICE_US / 1000000);
  }
  w_stvec((uint64)uservec);
  p->tf->kernel_sp = p->kstack + PGSIZE;
  p->tf->hartid = cpuid();
  uint64 s = r_sstatus();
  s &= ~MSTATUS_SPP; // to U-mode
  s |= MSTATUS_SPIE; // interrupts on after sret
  w_sstatus(s);
  w_sepc(p->tf->epc);
  userret(p->tf);
}

void kerneltrap(void) {
  uint64 cause = r_scause();
  if ((r_sstatus() & MSTATUS_SPP) == 0 || !(cause & CAUSE_INTERRUPT))
    goto bad;
  int which = devintr(cause);
  if (which == INTR_TIMER) {
    sbi_set_timer(~0UL); // a slice that ended as its process left: nothing to preempt
    return;
  }
  if (which)
    return;
bad:
  printf("[kernel] hart %d: trap in the kernel: scause 0x%lx sepc 0x%lx stval 0x%lx\n", cpuid(), cause, r_sepc(),
         r_stval());
  panic("kerneltrap");
}
