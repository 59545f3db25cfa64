# A minimal M-mode trap entry for the board tests: saves the caller-saved registers on the
# interrupted code's own stack (each hart has its own), calls
#     uint64 m_trap(uint64 mcause, uint64 mepc, uint64 mtval)
# which the program defines and which returns where to resume (mepc, or mepc + 4 after an
# exception it handled), and mret's there. Point mtvec at virt_mtrap_entry (direct mode).

        .text
        .balign 4
        .globl  virt_mtrap_entry
        .weak   m_trap
virt_mtrap_entry:
        addi    sp, sp, -128
        sd      ra, 0(sp)
        sd      t0, 8(sp)
        sd      t1, 16(sp)
        sd      t2, 24(sp)
        sd      t3, 32(sp)
        sd      t4, 40(sp)
        sd      t5, 48(sp)
        sd      t6, 56(sp)
        sd      a0, 64(sp)
        sd      a1, 72(sp)
        sd      a2, 80(sp)
        sd      a3, 88(sp)
        sd      a4, 96(sp)
        sd      a5, 104(sp)
        sd      a6, 112(sp)
        sd      a7, 120(sp)
        csrr    a0, mcause
        csrr    a1, mepc
        csrr    a2, mtval
        call    m_trap
        csrw    mepc, a0
        ld      ra, 0(sp)
        ld      t0, 8(sp)
        ld      t1, 16(sp)
        ld      t2, 24(sp)
        ld      t3, 32(sp)
        ld      t4, 40(sp)
        ld      t5, 48(sp)
        ld      t6, 56(sp)
        ld      a0, 64(sp)
        ld      a1, 72(sp)
        ld      a2, 80(sp)
        ld      a3, 88(sp)
        ld      a4, 96(sp)
        ld      a5, 104(sp)
        ld      a6, 112(sp)
        ld      a7, 120(sp)
        addi    sp, sp, 128
        mret
