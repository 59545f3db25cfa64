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
        sd      x1, 8(t6)
        sd      x2, 16(t6)
        sd      x3, 24(t6)
        sd      x4, 32(t6)
        sd      x5, 40(t6)
        sd      x6, 48(t6)
        sd      x7, 56(t6)
        sd      x8, 64(t6)
        sd      x9, 72(t6)
        sd      x10, 80(t6)
        sd      x11, 88(t6)
        sd      x12, 96(t6)
        sd      x13, 104(t6)
        sd      x14, 112(t6)
        sd      x15, 120(t6)
        sd      x16, 128(t6)
        sd      x17, 136(t6)
        sd      x18, 144(t6)
        sd      x19, 152(t6)
        sd      x20, 160(t6)
        sd      x21, 168(t6)
        sd      x22, 176(t6)
        sd      x23, 184(t6)
        sd      x24, 192(t6)
        sd      x25, 200(t6)
        sd      x26, 208(t6)
        sd      x27, 216(t6)
        sd      x28, 224(t6)
        sd      x29, 232(t6)
        sd      x30, 240(t6)
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
        ld      x1, 8(a0)
        ld      x2, 16(a0)
        ld      x3, 24(a0)
        ld      x4, 32(a0)
        ld      x5, 40(a0)
        ld      x6, 48(a0)
        ld      x7, 56(a0)
        ld      x8, 64(a0)
        ld      x9, 72(a0)
        ld      x11, 88(a0)
        ld      x12, 96(a0)
        ld      x13, 104(a0)
        ld      x14, 112(a0)
        ld      x15, 120(a0)
        ld      x16, 128(a0)
        ld      x17, 136(a0)
        ld      x18, 144(a0)
        ld      x19, 152(a0)
        ld      x20, 160(a0)
        ld      x21, 168(a0)
        ld      x22, 176(a0)
        ld      x23, 184(a0)
        ld      x24, 192(a0)
        ld      x25, 200(a0)
        ld      x26, 208(a0)
        ld      x27, 216(a0)
        ld      x28, 224(a0)
        ld      x29, 232(a0)
        ld      x30, 240(a0)
        ld      x31, 248(a0)
        ld      x10, 80(a0)
        sret

# Traps taken in S-mode (only in the scheduler's idle wait): the caller-saved registers on the
# current stack, kerneltrap(), back.
        .balign 4
        .globl  kernelvec
kernelvec:
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
        call    kerneltrap
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
        sret

# void swtch(struct context *old, struct context *new) (xv6 kernel/swtch.S)
        .globl  swtch
swtch:
        sd      ra, 0(a0)
        sd      sp, 8(a0)
        sd      s0, 16(a0)
        sd      s1, 24(a0)
        sd      s2, 32(a0)
        sd      s3, 40(a0)
        sd      s4, 48(a0)
        sd      s5, 56(a0)
        sd      s6, 64(a0)
        sd      s7, 72(a0)
        sd      s8, 80(a0)
        sd      s9, 88(a0)
        sd      s10, 96(a0)
        sd      s11, 104(a0)
        ld      ra, 0(a1)
        ld      sp, 8(a1)
        ld      s0, 16(a1)
        ld      s1, 24(a1)
        ld      s2, 32(a1)
        ld      s3, 40(a1)
        ld      s4, 48(a1)
        ld      s5, 56(a1)
        ld      s6, 64(a1)
        ld      s7, 72(a1)
        ld      s8, 80(a1)
        ld      s9, 88(a1)
        ld      s10, 96(a1)
        ld      s11, 104(a1)
        ret
