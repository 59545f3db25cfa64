// System calls, numbered as Linux numbers them on RISC-V so that the same user binaries run
// under qemu-riscv64: a7 is the number, a0..a2 the arguments, a0 the result.
#include "defs.h"

#define SYS_write 64
#define SYS_exit 93
#define SYS_sched_yield 124
#define ENOSYS 38
#define EBADF 9
#define EFAULT 14

static uint64 sys_write(struct proc *p) {
  uint64 fd = p->tf.regs[REG_A0], buf = p->tf.regs[REG_A1], n = p->tf.regs[REG_A2];
  if (fd != 1 && fd != 2)
    return -EBADF;
  char chunk[128];
  for (uint64 done = 0; done < n;) {
    uint64 len = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
    if (copyin(p, chunk, buf + done, len) < 0)
      return done ? done : -EFAULT;
    for (uint64 i = 0; i < len; i++)
      consputc(chunk[i]);
    done += len;
  }
  return n;
}

static uint64 sys_exit(struct proc *p) { exitproc((int)p->tf.regs[REG_A0]); }

static uint64 sys_sched_yield(struct proc *p) {
  yield();
  return 0;
}

static uint64 (*const syscalls[])(struct proc *) = {
    [SYS_write] = sys_write,
    [SYS_exit] = sys_exit,
    [SYS_sched_yield] = sys_sched_yield,
};

void syscall(struct proc *p) {
  uint64 num = p->tf.regs[REG_A7];
  p->syscalls++;
  if (num < NELEM(syscalls) && syscalls[num]) {
    p->tf.regs[REG_A0] = syscalls[num](p);
  } else {
    printf("[kernel] pid %d (%s): unknown system call %ld\n", p->pid, p->name, num);
    p->tf.regs[REG_A0] = -ENOSYS;
  }
}
