// Linux RISC-V system call numbers (asm-generic/unistd.h) used by guest user programs, and
// the raw call wrappers from linux/sys.c.
#pragma once
#include "types.h"

#define SYS_write 64
#define SYS_exit 93
#define SYS_sched_yield 124

long syscall3(long n, long a0, long a1, long a2);
long sys_write(int fd, const void *buf, size_t n);
long sys_sched_yield(void);
