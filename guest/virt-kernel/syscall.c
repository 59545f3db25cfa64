// System calls, numbered and shaped as Linux's on RISC-V (a7 number, a0..a5 arguments, a0
// result or -errno), so the user programs are ordinary static Linux binaries; plus spawn.
//
//   56 openat(dirfd, path, flags, mode)  "." or "/" opens the directory, a name a file (read-only)
//   57 close(fd)        61 getdents64(fd, buf, n)     63 read(fd, buf, n)    64 write(fd, buf, n)
//   93 exit(status)     94 exit_group(status)         113 clock_gettime(clock, ts)
//   124 sched_yield()   142 reboot(magic, magic2, cmd, failed): power off or restart   172 getpid()
//   194 shmget(key, size, flags)   195 shmctl(id, cmd, buf): IPC_RMID only   196 shmat(id, addr, flags):
//   addr 0 only, the kernel picks it   197 shmdt(addr)   (shm.c)
//   260 wait4(pid, status, options, rusage)
//   500 spawn(path, argv) -> pid   (a new process running path with argv; not Linux)
// fd 0 is the console's input, 1 and 2 its output; files get 3 and up.
#include "defs.h"

#define SYS_openat 56
#define SYS_close 57
#define SYS_getdents64 61
#define SYS_read 63
#define SYS_write 64
#define SYS_exit 93
#define SYS_exit_group 94
#define SYS_clock_gettime 113
#define SYS_sched_yield 124
#define SYS_reboot 142
#define SYS_getpid 172
#define SYS_shmget 194
#define SYS_shmctl 195
#define SYS_shmat 196
#define SYS_shmdt 197
#define SYS_wait4 260
#define SYS_spawn 500

#define ENOENT 2
#define EBADF 9
#define EFAULT 14
#define EINVAL 22
#define EMFILE 24
#define ENOSYS 38
#define ECHILD 10

#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc
#define LINUX_REBOOT_CMD_RESTART 0x01234567
#define FD_FIRST 3
#define IPC_RMID 0

static uint64 arg(struct proc *p, int n) { return p->tf->regs[REG_A0 + n]; }

static struct file *fd2file(struct proc *p, uint64 fd) {
  if (fd < FD_FIRST || fd >= FD_FIRST + NOFILE || !p->files[fd - FD_FIRST].used)
    return 0;
  return &p->files[fd - FD_FIRST];
}

static long sys_openat(struct proc *p) {
  char path[64];
  if (copyinstr(p, path, arg(p, 1), sizeof(path)) < 0)
    return -EFAULT;
  int dir = strcmp(path, ".") == 0 || strcmp(path, "/") == 0;
  int index = dir ? -1 : fs_lookup(path);
  if (!dir && index < 0)
    return -ENOENT;
  for (int i = 0; i < NOFILE; i++) {
    if (!p->files[i].used) {
      p->files[i] = (struct file){1, dir, index, 0};
      return FD_FIRST + i;
    }
  }
  return -EMFILE;
}

static long sys_close(struct proc *p) {
  struct file *f = fd2file(p, arg(p, 0));
  if (!f)
    return -EBADF;
  f->used = 0;
  return 0;
}

static long sys_read(struct proc *p) {
  uint64 fd = arg(p, 0), buf = arg(p, 1), n = arg(p, 2);
  if (fd == 0) {
    char line[128];
    long got = consoleread(line, n < sizeof(line) ? n : sizeof(line));
    return copyout(p, buf, line, got) < 0 ? -EFAULT : got;
  }
  struct file *f = fd2file(p, fd);
  if (!f || f->dir)
    return -EBADF;
  char *page = kalloc();
  if (!page)
    return -EFAULT;
  long got = fs_read(f->index, f->off, page, n < PGSIZE ? n : PGSIZE);
  if (got > 0 && copyout(p, buf, page, got) < 0)
    got = -EFAULT;
  kfree(page);
  if (got > 0)
    f->off += got;
  return got;
}

static long sys_write(struct proc *p) {
  uint64 fd = arg(p, 0), buf = arg(p, 1), n = arg(p, 2);
  if (fd != 1 && fd != 2)
    return -EBADF;
  char chunk[128];
  for (uint64 done = 0; done < n;) {
    uint64 len = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
    if (copyin(p, chunk, buf + done, len) < 0)
      return done ? (long)done : -EFAULT;
    consolewrite(chunk, len);
    done += len;
  }
  return n;
}

// struct linux_dirent64 {u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[];}
static long sys_getdents64(struct proc *p) {
  struct file *f = fd2file(p, arg(p, 0));
  uint64 buf = arg(p, 1), n = arg(p, 2), used = 0;
  if (!f || !f->dir)
    return -EBADF;
  for (; f->off < (uint64)fs_count(); f->off++) {
    const char *name = fs_name(f->off);
    uint64 reclen = (19 + strlen(name) + 1 + 7) & ~7UL;
    if (used + reclen > n)
      break;
    uint8 rec[80];
    memset(rec, 0, sizeof(rec));
    *(uint64 *)rec = f->off + 1;
    *(int64 *)(rec + 8) = f->off + 1;
    *(uint16 *)(rec + 16) = reclen;
    rec[18] = 8; // DT_REG
    memcpy(rec + 19, name, strlen(name) + 1);
    if (copyout(p, buf + used, rec, reclen) < 0)
      return -EFAULT;
    used += reclen;
  }
  if (used == 0 && f->off < (uint64)fs_count())
    return -EINVAL; // buffer too small for one entry
  return used;
}

static long sys_clock_gettime(struct proc *p) {
  uint64 t = r_time(), tb = machine.timebase;
  int64 ts[2] = {(int64)(t / tb), (int64)((t % tb) * (1000000000UL / tb))};
  return copyout(p, arg(p, 1), ts, sizeof(ts)) < 0 ? -EFAULT : 0;
}

static long sys_wait4(struct proc *p) {
  int status = 0;
  int pid = waitpid((int)arg(p, 0), &status);
  if (pid < 0)
    return -ECHILD;
  int wstatus = (status & 0xff) << 8; // WEXITSTATUS
  if (arg(p, 1) && copyout(p, arg(p, 1), &wstatus, sizeof(wstatus)) < 0)
    return -EFAULT;
  return pid;
}

static long sys_spawn(struct proc *p) {
  char path[64];
  char *argv[NARG + 1];
  if (copyinstr(p, path, arg(p, 0), sizeof(path)) < 0)
    return -EFAULT;
  char (*strings)[PGSIZE / NARG] = kalloc(); // the argv strings, until exec has copied them
  if (!strings)
    return -EFAULT;
  int argc = 0;
  long r = 0;
  for (; argc < NARG; argc++) {
    uint64 uarg;
    if (copyin(p, &uarg, arg(p, 1) + 8 * argc, 8) < 0) {
      r = -EFAULT;
      break;
    }
    if (uarg == 0)
      break;
    if (copyinstr(p, strings[argc], uarg, sizeof(strings[argc])) < 0) {
      r = -EFAULT;
      break;
    }
    argv[argc] = strings[argc];
  }
  argv[argc] = 0;
  if (r == 0) {
    int pid = spawn(p, path, argv);
    r = pid < 0 ? -ENOENT : pid;
  }
  kfree(strings);
  return r;
}

static long sys_shmctl(struct proc *p) { return arg(p, 1) == IPC_RMID ? shmrm((int)arg(p, 0)) : -EINVAL; }

static long sys_shmat(struct proc *p) { return arg(p, 1) ? -EINVAL : shmat(p, (int)arg(p, 0)); }

static long sys_reboot(struct proc *p) {
  if (arg(p, 2) == LINUX_REBOOT_CMD_RESTART) {
    printf("[kernel] restarting\n");
    sbi_reboot();
  }
  if (arg(p, 2) != LINUX_REBOOT_CMD_POWER_OFF)
    return -EINVAL;
  poweroff(arg(p, 3) != 0);
}

void syscall(struct proc *p) {
  uint64 num = p->tf->regs[REG_A7];
  long r;
  p->syscalls++;
  switch (num) {
  case SYS_openat: r = sys_openat(p); break;
  case SYS_close: r = sys_close(p); break;
  case SYS_getdents64: r = sys_getdents64(p); break;
  case SYS_read: r = sys_read(p); break;
  case SYS_write: r = sys_write(p); break;
  case SYS_exit:
  case SYS_exit_group: exitproc((int)arg(p, 0));
  case SYS_clock_gettime: r = sys_clock_gettime(p); break;
  case SYS_sched_yield: yield(0); r = 0; break;
  case SYS_reboot: r = sys_reboot(p); break;
  case SYS_getpid: r = p->pid; break;
  case SYS_shmget: r = shmget((int)arg(p, 0), arg(p, 1), (int)arg(p, 2)); break;
  case SYS_shmctl: r = sys_shmctl(p); break;
  case SYS_shmat: r = sys_shmat(p); break;
  case SYS_shmdt: r = shmdt(p, arg(p, 0)); break;
  case SYS_wait4: r = sys_wait4(p); break;
  case SYS_spawn: r = sys_spawn(p); break;
  default:
    printf("[kernel] pid %d (%s): unknown system call %ld\n", p->pid, p->name, num);
    r = -ENOSYS;
  }
  p->tf->regs[REG_A0] = r;
}
