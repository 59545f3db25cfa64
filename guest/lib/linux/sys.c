// Console and exit for Linux user-mode images, through raw system calls (no libc).
//
// Linux RISC-V syscall ABI: number in a7, arguments in a0..a5, result in a0.
// Output is buffered per line so that a guest kernel or qemu sees few write calls.
#include "lib.h"
#include "linux.h"

long syscall3(long n, long a0, long a1, long a2) {
  register long r_a0 asm("a0") = a0;
  register long r_a1 asm("a1") = a1;
  register long r_a2 asm("a2") = a2;
  register long r_a7 asm("a7") = n;
  asm volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a7) : "memory");
  return r_a0;
}

long sys_write(int fd, const void *buf, size_t n) { return syscall3(SYS_write, fd, (long)buf, n); }
long sys_sched_yield(void) { return syscall3(SYS_sched_yield, 0, 0, 0); }

static char outbuf[256];
static size_t outlen;

static void flush(void) {
  size_t done = 0;
  while (done < outlen) {
    long n = sys_write(1, outbuf + done, outlen - done);
    if (n <= 0)
      break;
    done += n;
  }
  outlen = 0;
}

void consputc(int c) {
  outbuf[outlen++] = (char)c;
  if (c == '\n' || outlen == sizeof(outbuf))
    flush();
}

void exit(int code) {
  flush();
  for (;;)
    syscall3(SYS_exit, code, 0, 0);
}
