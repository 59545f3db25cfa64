# S-mode trap entry and exit, and the context switch.
#
# sscratch holds the current process's trapframe while the hart runs in U-mode and 0 while it
# runs in the kernel, so one vector serves both: a trap from U swaps the user's t6 for the
# trapframe, a trap from S finds 0. Because every process table maps the kernel, trapvec runs
# in the user's address space without switching satp. struct trapframe (kernel.h): xn at 8*n,
# epc at 256, kernel_sp at 264.

#include "gprs.h"

        .text
        .balign 4
        .globl  trapvec
trapvec:
        csrrw   t6, sscratch, t6
        beqz    t6, from_kernel
        SAVE_GPRS 31
        csrr    t0, sscratch            # the user's t6
        sd      t0, 248(t6)
        csrw    sscratch, zero          # now in the kernel
        mv      a0, t6
        ld      sp, 264(a0)
        call    usertrap
        # a0 = trapframe to resume; fall through

# void userret(struct trapframe *tf): sret to user mode with tf's registers. sepc and
# sstatus were set by usertrapret().
        .globl  userret
userret:
        csrw    sscratch, a0
        LOAD_GPRS 10
        ld      x10, 80(a0)
        sret

from_kernel:
        csrrw   t6, sscratch, t6        # t6 back, sscratch back to 0
        call    kerneltrap
1:      j       1b

# void swtch(struct context *old, struct context *new): save the callee-saved registers in
# old, load them from new, and return into new's ra (xv6 kernel/swtch.S).
        .globl  swtch
swtch:
        SAVE_CALLEE_SAVED a0
        LOAD_CALLEE_SAVED a1
        ret
