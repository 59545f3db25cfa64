// virt-kernel: limits, memory layout and the structures shared between files.
//
// Physical memory (from the device tree; the firmware sits below us):
//   0x8000_0000  firmware (virt-sbi), not ours to touch
//   0x8020_0000  this kernel: text, rodata | data, bss, boot stacks
//   _end         free pages for kalloc, up to the device tree near the top of RAM
//
// Virtual memory (Sv39). The kernel's table maps RAM at its physical address (text R X, the
// rest R W) and the device windows at IO(pa) = IOBASE + pa. A process's table shares those
// root entries (no U bit), so a trap from U-mode runs kernel code without switching satp; the
// process itself owns root entries 0 and 1 (addresses below 2 GiB):
//   0x0001_0000  its ELF segments; .bss pages on first touch; read-only pages shared through
//                the page cache (exec.c)
//   SHM_BASE     shared memory segments it attached, one slot each (shm.c)
//   USTACK_TOP   the top of its stack; pages below the first are mapped on first touch
#pragma once
#include "riscv.h"

#define NCPU 8              // harts we can run on (the device tree may say fewer)
#define NPROC 64
#define NOFILE 8            // open files per process
#define NARG 8
#define KSTACK_BOOT 16384   // per-hart boot and scheduler stack
#define TIMESLICE_US 1000   // timer slice of a process, in simulated microseconds
#define IOBASE 0xffffffc000000000UL
#define IO(pa) (IOBASE + (uint64)(pa))
#define SHM_BASE 0x20000000UL  // shared memory attachments: slot i at SHM_BASE + i * SHM_SLOT
#define SHM_SLOT 0x10000000UL
#define NSHMAT 4                // attachments per process
#define NSHM 16                 // segments
#define SHM_MAX (8UL << 20)     // bytes per segment
#define PTE_SHARED (1UL << 8)   // RSW bit: the page is the page cache's or a segment's, not the table's
#define USTACK_TOP 0x7fff0000UL
#define USTACK_PAGES 16
#define USER_LIMIT 0x80000000UL // user addresses: root entries 0 and 1

// ---- spinlock.c ----
struct spinlock {
  volatile uint32 locked;
  int cpu; // holder, for checks
  const char *name;
};

// Saved user registers: regs[n] is xn. Offsets fixed by entry.S.
struct trapframe {
  uint64 regs[32];  // 0..255
  uint64 epc;       // 256
  uint64 kernel_sp; // 264: top of this process's kernel stack
  uint64 hartid;    // 272: the hart the process runs on (tp in the kernel)
};
#define REG_SP 2
#define REG_A0 10
#define REG_A7 17

struct context {
  uint64 ra, sp;
  uint64 s[12];
};

struct file {
  int used;
  int dir;          // the root directory (for getdents64)
  int index;        // directory entry of the file
  uint64 off;
};

enum procstate { UNUSED, EMBRYO, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

// The process table is guarded by ptable_lock (proc.c): state, chan, parent, xstate and the
// choice of who runs are changed only with it held. Everything else belongs to the process.
struct proc {
  enum procstate state;
  int pid, parent;
  char name[16];
  pagetable_t pagetable;
  uint64 kstack;
  struct context context;
  struct trapframe *tf;   // its own page
  void *chan;             // what it sleeps on
  int xstate;
  uint64 bss_lo, bss_hi;  // demand-zero range
  struct file files[NOFILE];
  int shm[NSHMAT];        // segment attached at slot i, or -1
  // statistics
  int lastcpu, migrations, preemptions, faults, syscalls;
};

// Per hart. Only the hart itself touches its entry.
struct cpu {
  struct proc *proc;       // running now, or 0
  struct context context;  // the scheduler's
  int new_slice;           // the process it switched to gets a fresh timer slice on its way out
  uint64 switches, idle_waits, interrupts, ipis;
};

// What the device tree told us.
struct machine {
  uint64 ram_base, ram_size;
  int ncpu;
  uint64 timebase;
  uint64 uart, plic;
  int uart_irq;
  uint64 virtio[8];
  int virtio_irq[8];
  int nvirtio;
  char bootargs[128];
  uint64 dtb;
};
extern struct machine machine;
