# M-mode trap vector of the firmware: swaps to this hart's M stack (mscratch), saves every
# register in a struct sbi_regs (x[n] at 8*n), calls sbi_trap(), which may edit them (a0/a1
# results), and mret's.

#include "gprs.h"

        .text
        .balign 4
        .globl  sbi_vector
sbi_vector:
        csrrw   sp, mscratch, sp
        addi    sp, sp, -256
        SAVE_GPRS 2
        csrr    t0, mscratch            # the interrupted sp
        sd      t0, 16(sp)
        mv      a0, sp
        call    sbi_trap
        LOAD_GPRS 2
        addi    sp, sp, 256
        csrrw   sp, mscratch, sp
        mret
