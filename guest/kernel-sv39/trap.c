// Traps into the S-mode kernel (xv6 kernel/trap.c). From U-mode: system calls, the timer
// interrupt (preemption) and page faults (demand paging, or the end of the process). From
// S-mode nothing is expected: the kernel runs with interrupts off and never faults.
#include "defs.h"

extern char trapvec[];

void trapinit(void) {
  w_stvec((uint64)trapvec);
  w_sscratch(0); // 0 while in the kernel: trapvec tells kernel traps from user traps by it
  w_sie(SIE_STIE);
}

static int is_page_fault(uint64 cause) {
  return cause == CAUSE_FETCH_PAGE_FAULT || cause == CAUSE_LOAD_PAGE_FAULT ||
         cause == CAUSE_STORE_PAGE_FAULT;
}

// Called by trapvec with the user registers saved in tf; returns the trapframe to resume.
struct trapframe *usertrap(struct trapframe *tf) {
  struct proc *p = myproc();
  uint64 cause = r_scause();
  tf->epc = r_sepc();
  if (cause == CAUSE_USER_ECALL) {
    tf->epc += 4;
    syscall(p);
  } else if (cause == (CAUSE_INTERRUPT | IRQ_S_TIMER)) {
    p->preemptions++;
    yield(); // the scheduler re-arms stimecmp before it runs anyone
  } else if (is_page_fault(cause) && uvmdemand(p, r_stval())) {
    // mapped: retry the instruction
  } else {
    printf("[kernel] pid %d (%s): scause 0x%lx at pc 0x%lx, stval 0x%lx: killed\n", p->pid, p->name,
           cause, tf->epc, r_stval());
    exitproc(-1);
  }
  return usertrapret(p);
}

// Set up sret to user mode at tf.epc with interrupts on there.
struct trapframe *usertrapret(struct proc *p) {
  uint64 s = r_sstatus();
  s &= ~MSTATUS_SPP;  // to U-mode
  s |= MSTATUS_SPIE;  // interrupts enabled after sret
  w_sstatus(s);
  w_sepc(p->tf.epc);
  return &p->tf;
}

void kerneltrap(void) {
  printf("[kernel] trap in the kernel: scause 0x%lx sepc 0x%lx stval 0x%lx\n", r_scause(),
         r_sepc(), r_stval());
  panic("kerneltrap");
}
