# Entry of multiprocessor images: every hart runs this, from crt0's _entry, in M-mode with
#   a0 = hart id (node number), a2 = bytes of home memory per node, a3 = number of harts.
# A board that passes a3 = 0 (the flat runner, the virt board) gets MP_NHARTS_DEFAULT harts
# and slices of MP_FLAT_SLICE bytes; a2 is not a slice size there.
# Each hart puts its stack at the top of its own slice (mp_param.h), so stacks are local and
# any number of harts works, keeps its hart id in tp (the compiler never touches tp), and
# calls mp_boot(hartid, nharts, slice) in mp.c, which clears .bss and starts the program.

#include "mp_param.h"

        .section .text.mp_entry, "ax", @progbits
        .globl mp_entry
mp_entry:
        lla     t0, mp_trap_entry
        csrw    mtvec, t0
        # a2 means the slice size only on the FLASH machine, which says so by passing a3; on
        # other boards a1/a2 are the device tree and fw_dynamic_info (OpenSBI convention).
        bnez    a3, 1f
        li      a3, MP_NHARTS_DEFAULT
        li      a2, MP_FLAT_SLICE
1:      li      t0, MP_MAX_HARTS
        bleu    a3, t0, 2f
        mv      a3, t0
2:      bgeu    a0, a3, mp_park          # more harts than the program uses: park
        # sp = top of this hart's slice = RAMBASE + (hartid + 1) * slice
        addi    t0, a0, 1
        mul     t0, t0, a2
        li      t1, MP_RAMBASE
        add     sp, t1, t0
        mv      tp, a0
        mv      a1, a3
        call    mp_boot                  # (hartid, nharts, slice); does not return

        .globl mp_park
mp_park:
        wfi
        j       mp_park

        # A stray trap: report it through the runtime's default handler (prints, exits 99).
        .balign 4
mp_trap_entry:
        csrr    a0, mcause
        csrr    a1, mepc
        csrr    a2, mtval
        andi    sp, sp, -16
        call    default_trap
        j       mp_park
