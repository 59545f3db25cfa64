# The user program, embedded as a file image (xv6 embeds initcode the same way); exec()
# loads it like a kernel would load a file from disk. build-guests.mjs builds it first and
# puts guest/build/ on the include path.

        .section .rodata.user_elf, "a", @progbits
        .balign 8
        .globl  user_elf_start, user_elf_end
user_elf_start:
        .incbin "kernel-sv39-user.linux.elf"
user_elf_end:
