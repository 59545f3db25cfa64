// What virt-user's programs share: the system calls (Linux's numbers and arguments, so the
// programs also run under qemu-riscv64, plus virt-kernel's spawn) and a few helpers that
// virt-user.c defines.
#pragma once
#include "lib.h"

#define SYS_getdents64 61
#define SYS_openat 56
#define SYS_close 57
#define SYS_read 63
#define SYS_write 64
#define SYS_clock_gettime 113
#define SYS_reboot 142
#define SYS_getpid 172
#define SYS_shmget 194
#define SYS_shmctl 195
#define SYS_shmat 196
#define SYS_wait4 260
#define SYS_spawn 500 // virt-kernel: spawn(path, argv) -> pid; not a Linux call
#define AT_FDCWD (-100)
#define IPC_CREAT 01000
#define IPC_RMID 0
#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc
#define LINUX_REBOOT_CMD_RESTART 0x01234567
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)

static inline long sys6(long n, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long r0 asm("a0") = a0;
  register long r1 asm("a1") = a1;
  register long r2 asm("a2") = a2;
  register long r3 asm("a3") = a3;
  register long r4 asm("a4") = a4;
  register long r5 asm("a5") = a5;
  register long r7 asm("a7") = n;
  asm volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7) : "memory");
  return r0;
}
#define sys(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

static inline long xwrite(int fd, const void *p, size_t n) { return sys(SYS_write, fd, p, n); }
static inline long xread(int fd, void *p, size_t n) { return sys(SYS_read, fd, p, n); }
static inline int xopen(const char *path) { return (int)sys6(SYS_openat, AT_FDCWD, (long)path, 0, 0, 0, 0); }
static inline void xclose(int fd) { sys(SYS_close, fd, 0, 0); }
static inline long getpid(void) { return sys(SYS_getpid, 0, 0, 0); }
static inline long spawn(const char *path, char **argv) { return sys(SYS_spawn, path, argv, 0); }
// pid -1 waits for any child; returns the child's pid, or < 0 when there is none.
static inline long waitpid(long pid, int *status) { return sys6(SYS_wait4, pid, (long)status, 0, 0, 0, 0); }
static inline long shmget(int key, uint64 size) { return sys(SYS_shmget, key, size, IPC_CREAT | 0600); }
static inline void *shmat(long id) { return (void *)sys(SYS_shmat, id, 0, 0); }
static inline void shmrm(long id) { sys(SYS_shmctl, id, IPC_RMID, 0); }
static inline int shm_failed(void *addr) { return (unsigned long)addr >= (unsigned long)-4096; } // -errno

// virt-user.c
long number(const char *s);
long option(int argc, char **argv, const char *flag, long dflt);
char *decimal(char *buf, uint64 v);

// A fast, well-mixed pseudo-random sequence (splitmix64): the workloads' data must be the same
// on every run so that their answers can be checked.
static inline uint64 rand64(uint64 *state) {
  uint64 z = (*state += 0x9e3779b97f4a7c15UL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
  return z ^ (z >> 31);
}

// The workloads (engineering.c, raytrace.c, pmake.c).
int engineering(int argc, char **argv);
int logicsim(int argc, char **argv);
int cachesim(int argc, char **argv);
int raytrace(int argc, char **argv);
int rtworker(int argc, char **argv);
int pmake(int argc, char **argv);
int cc(int argc, char **argv);
