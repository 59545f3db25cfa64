// Trap harness for the privileged-architecture tests (bare-metal images only).
//
// trap.S provides M- and S-mode trap entries that save every register in a trapframe on a
// private trap stack (reached by swapping sp with mscratch/sscratch), call the C handlers in
// trap.c, and return with mret/sret. By default a handler records what it saw in mtrap/strap
// and resumes after the trapping instruction, so a test can run an instruction that should
// trap and then check the record. run_in_mode() runs a function in S- or U-mode and comes
// back to M-mode when it returns.
#pragma once
#include "riscv.h"
#include "lib.h"

// x1..x31 at their register numbers; slot 0 holds the vector entry taken (-1: direct).
struct trapframe {
  uint64 vec;
  uint64 x[31];
};
#define TF_REG(tf, n) ((tf)->x[(n) - 1])
#define REG_RA 1
#define REG_SP 2
#define REG_A0 10
#define REG_A7 17

struct trapinfo {
  uint64 count; // traps recorded since trap_clear()
  uint64 cause, epc, tval;
  int64 vec;     // M only: vector entry, -1 for direct mode
  uint64 status; // mstatus (or sstatus) as the handler found it
  int prev;      // privilege the trap came from (MPP or SPP)
};
extern volatile struct trapinfo mtrap, strap;

// A program hook sees every trap before the default policy; it returns 1 when it has dealt
// with the trap (including setting xepc), 0 to fall through to the default.
extern int (*mtrap_hook)(struct trapframe *tf, uint64 cause);
extern int (*strap_hook)(struct trapframe *tf, uint64 cause);

// Where the next exception resumes, instead of after the trapping instruction. One-shot.
extern volatile uint64 trap_resume;
// Added to the function, stack and return addresses by run_in_mode (for code run through an
// alias mapping) and subtracted from xepc before the handler reads the instruction there.
extern volatile uint64 lower_offset;

// a7 value of the ecall that ends a run_in_mode call.
#define RETURN_MAGIC 0x7e7e

void trap_init(void);
void trap_clear(void);
void mtrap_set_vectored(int on);
uint64 run_in_mode(int priv, uint64 (*fn)(uint64), uint64 arg);
void ecall_return(uint64 value) __attribute__((noreturn));

extern char mtrap_direct[], mtrap_vectors[], strap_direct[];
