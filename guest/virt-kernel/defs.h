// Cross-file functions of virt-kernel, by file (xv6 kernel/defs.h).
#pragma once
#include "kernel.h"
#include "lib.h"
#include "virt.h"

// sbi.c
struct sbiret { long error, value; };
struct sbiret sbi_call(uint64 ext, uint64 fid, uint64 a0, uint64 a1, uint64 a2);
void sbi_putchar(int c);
void sbi_set_timer(uint64 when);
void sbi_send_ipi(uint64 mask);
long sbi_hart_start(uint64 hart, uint64 addr, uint64 arg);
void sbi_shutdown(int failed) __attribute__((noreturn));
void sbi_reboot(void) __attribute__((noreturn));

// spinlock.c
void initlock(struct spinlock *lk, const char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);
int holding(struct spinlock *lk);
static inline int cpuid(void) { return (int)r_tp(); }

// console.c
void consoleinit(void);
void consoleintr(void);
long consoleread(char *dst, long n);
void consolewrite(const char *src, long n);

// kalloc.c
void kinit(uint64 start, uint64 end);
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
void uvmunmap(pagetable_t pt, uint64 va, uint64 size);
int copyin(struct proc *p, void *dst, uint64 srcva, uint64 len);
int copyout(struct proc *p, uint64 dstva, const void *src, uint64 len);
int copyinstr(struct proc *p, char *dst, uint64 srcva, uint64 max);

// shm.c
void shminit(void);
long shmget(int key, uint64 size, int flags);
long shmat(struct proc *p, int id);
long shmdt(struct proc *p, uint64 va);
long shmrm(int id);
void shmexit(struct proc *p);
int shmdemand(struct proc *p, uint64 va);

// disk.c
int diskinit(void);
void diskintr(void);
int disk_read(uint64 sector, void *buf, uint32 len);

// fs.c
int fsinit(void);
int fs_lookup(const char *name);
uint64 fs_size(int index);
const char *fs_name(int index);
int fs_count(void);
long fs_read(int index, uint64 off, void *dst, uint64 n);

// exec.c
int exec(struct proc *p, const char *path, char **argv);
void pagecache_report(void);

// proc.c
extern struct cpu cpus[NCPU];
struct proc *myproc(void);
struct cpu *mycpu(void);
void procinit(void);
int spawn(struct proc *parent, const char *path, char **argv);
void scheduler(void) __attribute__((noreturn));
void yield(int preempted);
void sleep(void *chan, struct spinlock *lk);
void wakeup(void *chan);
void exitproc(int status) __attribute__((noreturn));
int waitpid(int pid, int *status);
void kick_idle_harts(void);
void report(void);

// trap.c
void trapinithart(void);
void usertrapret(struct proc *p) __attribute__((noreturn));
int devintr(uint64 scause);

// syscall.c
void syscall(struct proc *p);

// main.c
void poweroff(int failed) __attribute__((noreturn));

// entry.S
void userret(struct trapframe *tf) __attribute__((noreturn));
void swtch(struct context *old, struct context *new);
extern char uservec[], kernelvec[], secondary_entry[];
