# Entry point of bare-metal (HTIF) images; linked first, at 0x80000000.
#
# Every hart arrives here in M-mode with a0 = hart id and a1 = the device tree address. Each
# hart takes its own STACK_SIZE slice of the stack area; hart 0 clears .bss and runs
# main(hartid, dtb) and then exit(main's return value). Other harts wait until .bss is clear
# and call secondary_main(hartid), which parks them unless the program overrides it.
# Programs built with -DMP_RUNTIME jump straight to guest/lib/mp/entry.S instead. Images built
# for rv64gc turn on the FPU on every hart before anything else.

#include "param.h"

        .section .text.entry, "ax", @progbits
        .globl _entry
_entry:
#ifdef __riscv_flen
        # Images built for rv64gc (build.json "isa") use the FPU, and clang may move or spill
        # through f registers anywhere: every hart turns it on first. mstatus.FS (bits 14:13)
        # starts Off, where every FP instruction and fcsr access is illegal; setting bit 13
        # makes it Initial (the fcsr write then makes it Dirty). fcsr = 0: round to nearest
        # even, no flags accrued.
        li      t0, 1 << 13             # MSTATUS_FS_INITIAL (riscv.h)
        csrs    mstatus, t0
        csrwi   fcsr, 0
#endif
#ifdef MP_RUNTIME
        # Multiprocessor images (build.json: "uses": ["mp"], "cflags": ["-DMP_RUNTIME=1"]) start
        # every hart in guest/lib/mp/entry.S instead: stacks in each node's own memory, any
        # number of harts. Without MP_RUNTIME this file assembles exactly as before.
        j       mp_entry
#endif
        lla     t0, default_trap_entry
        csrw    mtvec, t0
        li      t0, NCPU
        bgeu    a0, t0, park
        lla     sp, __stack_start
        addi    t0, a0, 1
        slli    t0, t0, STACK_SHIFT
        add     sp, sp, t0
        bnez    a0, secondary

        lla     t0, __bss_start
        lla     t1, __bss_end
1:      bgeu    t0, t1, 2f
        sd      zero, 0(t0)
        addi    t0, t0, 8
        j       1b
2:
        # Release: the cleared .bss must be visible before the flag that announces it.
        fence   rw, w
        li      t0, 1
        lla     t1, boot_done
        sw      t0, 0(t1)
        call    main
        call    exit

secondary:
        lla     t1, boot_done
3:      lw      t0, 0(t1)
        beqz    t0, 3b
        # Acquire: pairs with the fence above.
        fence   r, rw
        call    secondary_main
park:
        wfi
        j       park

        # mtvec needs 4-byte alignment; the stack pointer may be anything, so the handler runs
        # on whatever sp was, which is good enough to print a report and stop.
        .balign 4
default_trap_entry:
        csrr    a0, mcause
        csrr    a1, mepc
        csrr    a2, mtval
        andi    sp, sp, -16
        call    default_trap
        j       park

        .data
        .balign 4
boot_done:
        .word   0

        .section .stack, "aw", @nobits
        .balign 16
        .globl __stack_start
__stack_start:
        .space  NCPU * STACK_SIZE
