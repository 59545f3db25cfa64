// S-mode entry of kernel-sv39 (the M-mode stub in mstart.c mret's here): set up memory,
// paging and traps, start two processes from the embedded user program, and schedule them
// until both have exited.
#include "defs.h"

extern const uint8 user_elf_start[], user_elf_end[];
int kfree_at_boot;

static void spawn(const char *workload) {
  struct proc *p = allocproc(workload);
  const char *argv[] = {"kernel-sv39-user", workload, 0};
  if (!p || exec(p, user_elf_start, user_elf_end - user_elf_start, argv) < 0)
    panic("spawn");
  p->state = RUNNABLE;
  printf("[kernel] started pid %d: %s %s\n", p->pid, argv[0], argv[1]);
}

void kmain(uint64 hartid) {
  console_putc_hook = sbi_console_putchar;
  exit_hook = sbi_shutdown;
  printf("kernel-sv39: S-mode kernel on hart %ld, Sv39, timer slice %d ticks\n", hartid, TIME_SLICE);
  kinit();
  kvminit();
  kvminithart();
  trapinit();
  // Everything the processes take must be back on the free list when they are gone.
  kfree_at_boot = kfreecount();
  spawn("sieve");
  spawn("collatz");
  scheduler();
}
