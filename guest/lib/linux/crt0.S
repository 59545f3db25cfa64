# Entry point of Linux user-mode images (qemu-riscv64, or the kernel-sv39 guest kernel).
#
# The kernel enters here with sp pointing at argc, then the argv pointers, a NULL, the envp
# pointers, a NULL and the auxiliary vector; .bss is already zero. We call main(argc, argv)
# and pass its result to exit, which flushes the console buffer first.

        .section .text.entry, "ax", @progbits
        .globl _start
_start:
        ld      a0, 0(sp)
        addi    a1, sp, 8
        andi    sp, sp, -16
        call    main
        call    exit
1:      j       1b
