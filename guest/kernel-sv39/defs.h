// Cross-file functions of kernel-sv39, by file (xv6 kernel/defs.h).
#pragma once
#include "kernel.h"
#include "lib.h"

// sbi.c: S-mode side of the SBI calls into the M-mode stub
void sbi_console_putchar(int c);
void sbi_shutdown(int code) __attribute__((noreturn));

// kalloc.c
void kinit(void);
void *kalloc(void);
void kfree(void *pa);
int kfreecount(void);

// vm.c
void kvminit(void);
void kvminithart(void);
pte_t *walk(pagetable_t pt, uint64 va, int alloc);
int mappages(pagetable_t pt, uint64 va, uint64 size, uint64 pa, uint64 perm);
pagetable_t uvmcreate(void);
void uvmfree(pagetable_t pt);
int uvmdemand(struct proc *p, uint64 va);
int copyin(struct proc *p, char *dst, uint64 srcva, uint64 len);

// exec.c
int exec(struct proc *p, const uint8 *elf, uint64 size, const char **argv);

// proc.c
struct proc *myproc(void);
struct proc *allocproc(const char *name);
void scheduler(void) __attribute__((noreturn));
void yield(void);
void exitproc(int status) __attribute__((noreturn));

// trap.c
void trapinit(void);
struct trapframe *usertrapret(struct proc *p);

// syscall.c
void syscall(struct proc *p);

// main.c
extern int kfree_at_boot; // free pages once the kernel is set up, before any process

// kentry.S
void userret(struct trapframe *tf) __attribute__((noreturn));
void swtch(struct context *old, struct context *new);
