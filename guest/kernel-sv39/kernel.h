// Limits, memory layout and shared structures of the kernel-sv39 guest kernel.
//
// Physical memory (one hart, identity-mapped for the kernel):
//   0x8000_0000  image: M-mode stub + S-mode kernel text, rodata (with the embedded user
//                ELF), data, bss, boot stacks
//   _end         free pages for kalloc, up to PHYSTOP
//
// Every process page table shares the kernel's mappings (root entry VPN2 = 2, U clear), so a
// trap from U-mode lands in kernel code without switching satp. A process sees:
//   0x0001_0000  its ELF segments (text R X, rodata R, data R W); .bss pages on first touch
//   USTACK_TOP   the top of a USTACK_PAGES-page stack; only the top page exists at exec,
//                the rest is mapped on first touch
#pragma once
#include "riscv.h"

#define NPROC 4
#define PHYSTOP (0x80000000UL + 16 * 1024 * 1024)
#define KERNBASE 0x80000000UL
#define USTACK_TOP 0x7fff0000UL
#define USTACK_PAGES 16
#define TIME_SLICE 2000 // timer ticks (time runs at cycles/100 in the simulator)
#define NARG 4

// Saved user registers: regs[n] is xn (regs[0] unused). Offsets are fixed by kentry.S.
struct trapframe {
  uint64 regs[32]; // 0..255
  uint64 epc;      // 256
  uint64 kernel_sp; // 264: top of this process's kernel stack
};
#define REG_SP 2
#define REG_A0 10
#define REG_A1 11
#define REG_A2 12
#define REG_A7 17

// Callee-saved registers for swtch (xv6 kernel/proc.h).
struct context {
  uint64 ra, sp;
  uint64 s[12];
};

enum procstate { UNUSED, RUNNABLE, RUNNING, ZOMBIE };

// Only the one hart touches these, with interrupts off in S-mode, so no locks.
struct proc {
  enum procstate state;
  int pid;
  char name[16];
  pagetable_t pagetable;
  uint64 kstack;           // one page
  struct context context;  // where swtch resumes the kernel side
  struct trapframe tf;     // user registers while in the kernel
  uint64 bss_lo, bss_hi;   // demand-zero heap range from the ELF's bss
  int xstate;              // exit status once ZOMBIE
  // statistics for the final report
  int preemptions, faults, syscalls;
};
