# Trap entries for the privileged tests, and run_in_mode.
#
# Frame layout (struct trapframe in priv.h): 8 * n holds xn for n = 1..31; offset 0 holds the
# vector entry number. The entry swaps sp with mscratch (sscratch), which always holds the top
# of the trap stack while no trap is in progress; the interrupted sp is kept in mscratch until
# it is saved in the frame, and on the way out the frame's sp goes back through mscratch so
# that a handler may change it (run_in_mode's return does).

#define FRAME 256

#include "gprs.h"

.macro SAVE_REGS
        SAVE_GPRS 2, 5
.endm

.macro RESTORE_REGS
        LOAD_GPRS 2
.endm

# Entry stub: t0 is saved first because it carries the vector number to the common code.
.macro MENTRY n
        csrrw   sp, mscratch, sp
        addi    sp, sp, -FRAME
        sd      t0, 40(sp)
        li      t0, \n
        j       mtrap_common
.endm

        .text
        .balign 4
        .globl  mtrap_direct
mtrap_direct:
        MENTRY  -1

# In vectored mode an interrupt with cause c enters at base + 4*c; exceptions use entry 0.
# Every slot must be exactly one 4-byte jump, hence norvc.
        .balign 256
        .globl  mtrap_vectors
mtrap_vectors:
        .option push
        .option norvc
        j       mvec0
        j       mvec1
        j       mvec2
        j       mvec3
        j       mvec4
        j       mvec5
        j       mvec6
        j       mvec7
        j       mvec8
        j       mvec9
        j       mvec10
        j       mvec11
        j       mvec12
        j       mvec13
        j       mvec14
        j       mvec15
        .option pop
mvec0:  MENTRY  0
mvec1:  MENTRY  1
mvec2:  MENTRY  2
mvec3:  MENTRY  3
mvec4:  MENTRY  4
mvec5:  MENTRY  5
mvec6:  MENTRY  6
mvec7:  MENTRY  7
mvec8:  MENTRY  8
mvec9:  MENTRY  9
mvec10: MENTRY  10
mvec11: MENTRY  11
mvec12: MENTRY  12
mvec13: MENTRY  13
mvec14: MENTRY  14
mvec15: MENTRY  15

mtrap_common:
        sd      t0, 0(sp)
        SAVE_REGS
        csrr    t0, mscratch
        sd      t0, 16(sp)
        mv      a0, sp
        call    mtrap_handler
        ld      t0, 16(sp)
        csrw    mscratch, t0
        RESTORE_REGS
        addi    sp, sp, FRAME
        csrrw   sp, mscratch, sp
        mret

        .balign 4
        .globl  strap_direct
strap_direct:
        csrrw   sp, sscratch, sp
        addi    sp, sp, -FRAME
        sd      t0, 40(sp)
        li      t0, -1
        sd      t0, 0(sp)
        SAVE_REGS
        csrr    t0, sscratch
        sd      t0, 16(sp)
        mv      a0, sp
        call    strap_handler
        ld      t0, 16(sp)
        csrw    sscratch, t0
        RESTORE_REGS
        addi    sp, sp, FRAME
        csrrw   sp, sscratch, sp
        sret

# uint64 run_in_mode(int priv, uint64 (*fn)(uint64), uint64 arg)
#
# Saves the callee-saved registers on the M-mode stack, then mret's into fn(arg) at privilege
# `priv` on the lower-mode stack, with ra pointing at lower_return. The ecall there (a7 =
# RETURN_MAGIC) makes mtrap_handler put the saved sp back and resume at run_in_mode_resume in
# M-mode, with fn's result still in a0.
        .globl  run_in_mode
run_in_mode:
        addi    sp, sp, -112
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        sd      s2, 24(sp)
        sd      s3, 32(sp)
        sd      s4, 40(sp)
        sd      s5, 48(sp)
        sd      s6, 56(sp)
        sd      s7, 64(sp)
        sd      s8, 72(sp)
        sd      s9, 80(sp)
        sd      s10, 88(sp)
        sd      s11, 96(sp)
        lla     t0, run_saved_sp
        sd      sp, 0(t0)
        # An S handler that ended a run left its interrupted sp in sscratch; start clean.
        lla     t0, mtrap_stack_top
        csrw    mscratch, t0
        lla     t0, strap_stack_top
        csrw    sscratch, t0
        li      t0, 0x1800              # mstatus.MPP
        csrc    mstatus, t0
        slli    t1, a0, 11
        csrs    mstatus, t1
        lla     t2, lower_offset
        ld      t2, 0(t2)
        add     t1, a1, t2
        csrw    mepc, t1
        lla     ra, lower_return
        add     ra, ra, t2
        lla     sp, lower_stack_top
        add     sp, sp, t2
        mv      a0, a2
        mret

        .globl  ecall_return
ecall_return:
lower_return:
        li      a7, 0x7e7e              # RETURN_MAGIC
        ecall
        j       lower_return

        .globl  run_in_mode_resume
run_in_mode_resume:
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        ld      s2, 24(sp)
        ld      s3, 32(sp)
        ld      s4, 40(sp)
        ld      s5, 48(sp)
        ld      s6, 56(sp)
        ld      s7, 64(sp)
        ld      s8, 72(sp)
        ld      s9, 80(sp)
        ld      s10, 88(sp)
        ld      s11, 96(sp)
        addi    sp, sp, 112
        ret

        .bss
        .balign 16
        .globl  run_saved_sp
run_saved_sp:
        .space  8
        .balign 16
        .space  8192
        .globl  mtrap_stack_top
mtrap_stack_top:
        .space  8192
        .globl  strap_stack_top
strap_stack_top:
        .space  16384
        .globl  lower_stack_top
lower_stack_top:
