# A minimal M-mode trap entry for the board tests: saves the caller-saved registers on the
# interrupted code's own stack (each hart has its own), calls
#     uint64 m_trap(uint64 mcause, uint64 mepc, uint64 mtval)
# which the program defines and which returns where to resume (mepc, or mepc + 4 after an
# exception it handled), and mret's there. Point mtvec at virt_mtrap_entry (direct mode).

#include "gprs.h"

        .text
        .balign 4
        .globl  virt_mtrap_entry
        .weak   m_trap
virt_mtrap_entry:
        PUSH_CALLER_SAVED
        csrr    a0, mcause
        csrr    a1, mepc
        csrr    a2, mtval
        call    m_trap
        csrw    mepc, a0
        POP_CALLER_SAVED
        mret
