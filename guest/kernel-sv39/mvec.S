# M-mode trap vector of the stub: swaps to the M stack held in mscratch, saves every
# register in a struct mregs (x[n] at 8*n), and lets sbi_trap() edit them before mret.

#include "gprs.h"

        .text
        .balign 4
        .globl  mvec
mvec:
        csrrw   sp, mscratch, sp
        addi    sp, sp, -256
        SAVE_GPRS 2
        mv      a0, sp
        call    sbi_trap
        LOAD_GPRS 2
        addi    sp, sp, 256
        csrrw   sp, mscratch, sp
        mret
