# virt-kernel's assembly: the entry points, the trap vectors and the context switch.
#
# Boot: the firmware enters _start on the boot hart, S-mode, a0 = hart id, a1 = device tree;
# the kernel starts the other harts at secondary_entry (SBI HSM) with a0 = hart id. tp holds the
# hart id whenever the kernel runs. Each hart gets a KSTACK_BOOT stack in .stacks for booting
# and its scheduler.
#
# Traps: stvec is uservec while a process runs in U-mode and kernelvec in the kernel. sscratch
# holds the process's trapframe while it runs in U-mode (struct trapframe, kernel.h: xn at 8n,
# epc at 256, kernel_sp at 264, hartid at 272). Every process table maps the kernel, so uservec
# runs in the process's address space and never switches satp.

#define KSTACK_BOOT 16384
#define NCPU 8

#include "gprs.h"

        .section .text.entry, "ax", @progbits
        .globl  _start
_start:
        mv      tp, a0
        call    boot_stack
        lla     t0, __bss_start
        lla     t1, __bss_end
1:      bgeu    t0, t1, 2f
        sd      zero, 0(t0)
        addi    t0, t0, 8
        j       1b
2:      call    kmain
3:      j       3b

        .globl  secondary_entry
secondary_entry:
        mv      tp, a0
        call    boot_stack
        call    kmain_secondary
4:      j       4b

# sp = the top of hart tp's boot stack (leaf: uses t0, t1 only)
boot_stack:
        lla     sp, boot_stacks
        li      t0, KSTACK_BOOT
        addi    t1, tp, 1
        mul     t0, t0, t1
        add     sp, sp, t0
        ret

        .section .stacks, "aw", @nobits
        .balign 16
boot_stacks:
        .space  NCPU * KSTACK_BOOT

        .text
        .balign 4
        .globl  uservec
uservec:
        csrrw   t6, sscratch, t6
        SAVE_GPRS 31
        csrr    t0, sscratch            # the user's t6
        sd      t0, 248(t6)
        ld      sp, 264(t6)
        ld      tp, 272(t6)
        lla     t0, kernelvec
        csrw    stvec, t0
        mv      a0, t6
        call    usertrap                # returns through usertrapret -> userret
5:      j       5b

# void userret(struct trapframe *tf): sret to U-mode with tf's registers; sepc, sstatus and
# stvec were set by usertrapret().
        .globl  userret
userret:
        csrw    sscratch, a0
        LOAD_GPRS 10
        ld      x10, 80(a0)
        sret

# Traps taken in S-mode (only in the scheduler's idle wait): the caller-saved registers on the
# current stack, kerneltrap(), back.
        .balign 4
        .globl  kernelvec
kernelvec:
        PUSH_CALLER_SAVED
        call    kerneltrap
        POP_CALLER_SAVED
        sret

# void swtch(struct context *old, struct context *new) (xv6 kernel/swtch.S)
        .globl  swtch
swtch:
        SAVE_CALLEE_SAVED a0
        LOAD_CALLEE_SAVED a1
        ret
