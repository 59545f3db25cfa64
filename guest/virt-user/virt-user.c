// The user programs of virt-kernel, in one static Linux RV64 ELF that picks its personality from
// argv[0] (busybox style): the kernel loads it from the disk for every process.
//
//   init            runs `cat motd.txt`, starts the shell, and sieve and collatz in the
//                   background; when the shell ends it waits for the jobs and powers off
//                   (status 0 only if every job succeeded). `init PROG ARGS...` (the kernel
//                   passes what follows "--" in bootargs) runs just that job and powers off
//   sh              prompt "$ ", one command per line: help, ls, cat FILE, echo ..., run PROG ...,
//                   uptime, reboot, exit (also at end of input)
//   cat FILE...     copies files to stdout
//   ls              lists the root directory (getdents64)
//   sieve, collatz  CPU-bound jobs with checked answers (timer preemption moves them around)
//   engineering, raytrace, pmake   the NUMA workloads (engineering.c, raytrace.c, pmake.c), and
//                   the programs they start: logicsim, cachesim, rtworker, cc
//
// System calls are Linux's (numbers and arguments, user.h), so all but init, sh and the
// workloads' parents also run under qemu-riscv64 (`qemu-riscv64 virt-user.linux.elf cat FILE`:
// argv[1] names the program when argv[0] does not); those need the kernel's spawn call.
#include "user.h"

static void puts_fd(int fd, const char *s) { xwrite(fd, s, strlen(s)); }

// ---- cat, ls ----

static int cat(int argc, char **argv) {
  static char buf[1024];
  int status = 0;
  for (int i = 1; i < argc; i++) {
    int fd = xopen(argv[i]);
    if (fd < 0) {
      printf("cat: %s: no such file\n", argv[i]);
      status = 1;
      continue;
    }
    long n;
    while ((n = xread(fd, buf, sizeof(buf))) > 0)
      xwrite(1, buf, n);
    xclose(fd);
  }
  return status;
}

struct dirent64 {
  uint64 ino;
  int64 off;
  uint16 reclen;
  uint8 type;
  char name[];
};

static int ls(int argc, char **argv) {
  static char buf[1024] __attribute__((aligned(8)));
  int fd = xopen(argc > 1 ? argv[1] : ".");
  if (fd < 0) {
    printf("ls: cannot open\n");
    return 1;
  }
  long n;
  while ((n = sys(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
    for (long off = 0; off < n;) {
      struct dirent64 *d = (struct dirent64 *)(buf + off);
      if (d->name[0] != '.')
        printf("%s\n", d->name);
      off += d->reclen;
    }
  }
  xclose(fd);
  return 0;
}

// ---- CPU-bound jobs (as kernel-sv39-user's; long enough for many timer slices) ----

#define SIEVE_N 1000000
#define SIEVE_PRIMES 78498
#define COLLATZ_N 200000
#define COLLATZ_BEST 156159
#define COLLATZ_STEPS 382

static uint8 composite[SIEVE_N];
static uint16 chain[COLLATZ_N];

static int sieve(void) {
  for (uint64 i = 2; i * i < SIEVE_N; i++) {
    if (composite[i])
      continue;
    for (uint64 j = i * i; j < SIEVE_N; j += i)
      composite[j] = 1;
  }
  int count = 0;
  for (int i = 2; i < SIEVE_N; i++)
    count += !composite[i];
  printf("sieve: %d primes below %d\n", count, SIEVE_N);
  return count == SIEVE_PRIMES ? 0 : 1;
}

static uint64 collatz_steps(uint64 start) {
  uint64 path[512];
  int n = 0;
  uint64 x = start;
  while (x >= COLLATZ_N || (chain[x] == 0 && x != 1)) {
    if (n == 512)
      panic("collatz: path too long");
    path[n++] = x;
    x = (x & 1) ? 3 * x + 1 : x / 2;
  }
  uint64 steps = chain[x];
  while (n > 0) {
    x = path[--n];
    steps++;
    if (x < COLLATZ_N)
      chain[x] = steps;
  }
  return chain[start];
}

static int collatz(void) {
  uint64 best = 1, best_steps = 0;
  for (uint64 i = 1; i < COLLATZ_N; i++) {
    uint64 s = collatz_steps(i);
    if (s > best_steps)
      best = i, best_steps = s;
  }
  printf("collatz: longest chain below %d starts at %lu (%lu steps)\n", COLLATZ_N, best, best_steps);
  return best == COLLATZ_BEST && best_steps == COLLATZ_STEPS ? 0 : 1;
}

// ---- sh ----

#define MAXARGS 8

static int split(char *line, char **argv) {
  int argc = 0;
  for (char *p = line; *p && argc < MAXARGS;) {
    while (*p == ' ' || *p == '\t')
      *p++ = 0;
    if (!*p)
      break;
    argv[argc++] = p;
    while (*p && *p != ' ' && *p != '\t')
      p++;
  }
  argv[argc] = 0;
  return argc;
}

// Runs argv as a new process of this program and waits for it; returns its status.
static int run(char **argv) {
  long pid = spawn("virt-user", argv);
  if (pid < 0) {
    printf("sh: cannot start %s\n", argv[0]);
    return -1;
  }
  int status = 0;
  waitpid(pid, &status);
  return (status >> 8) & 0xff; // WEXITSTATUS
}

static long read_line(char *buf, int max) {
  int n = 0;
  while (n < max - 1) {
    long r = xread(0, buf + n, 1);
    if (r <= 0)
      break;
    if (buf[n++] == '\n')
      break;
  }
  buf[n] = 0;
  return n;
}

struct timespec {
  long sec, nsec;
};

static int sh(void) {
  static char line[128];
  char *argv[MAXARGS + 1];
  for (;;) {
    puts_fd(1, "$ ");
    if (read_line(line, sizeof(line)) == 0) {
      printf("\n");
      return 0; // end of input
    }
    for (char *p = line; *p; p++)
      if (*p == '\n' || *p == '\r')
        *p = 0;
    int argc = split(line, argv);
    if (argc == 0)
      continue;
    if (strcmp(argv[0], "exit") == 0 || strcmp(argv[0], "poweroff") == 0)
      return 0;
    if (strcmp(argv[0], "help") == 0) {
      printf("commands: ls, cat FILE..., echo ..., run sieve|collatz, uptime, reboot, exit\n");
    } else if (strcmp(argv[0], "reboot") == 0) {
      sys6(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_RESTART, 0, 0, 0);
      printf("sh: reboot failed\n");
    } else if (strcmp(argv[0], "echo") == 0) {
      for (int i = 1; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "");
      printf("\n");
    } else if (strcmp(argv[0], "uptime") == 0) {
      struct timespec ts;
      sys(SYS_clock_gettime, 1, &ts, 0);
      printf("up %ld.%06ld s (simulated)\n", ts.sec, ts.nsec / 1000);
    } else if (strcmp(argv[0], "run") == 0 && argc > 1) {
      printf("%s: exit status %d\n", argv[1], run(argv + 1));
    } else if (strcmp(argv[0], "cat") == 0 || strcmp(argv[0], "ls") == 0) {
      run(argv);
    } else {
      printf("sh: %s: unknown command (try help)\n", argv[0]);
    }
  }
}

// ---- init ----

static void poweroff(int failed) {
  sys6(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, failed, 0, 0);
}

// `init PROG ARGS...` runs one job alone, as a benchmark wants the machine, and powers off with
// its verdict.
static int init_job(char **argv) {
  int status = run(argv);
  printf("init: %s exited with status %d\n", argv[0], status);
  poweroff(status != 0);
  return 1;
}

static int init(int argc, char **argv) {
  if (argc > 1)
    return init_job(argv + 1);
  char *sieve_argv[] = {"sieve", 0}, *collatz_argv[] = {"collatz", 0};
  char *cat_argv[] = {"cat", "motd.txt", 0}, *sh_argv[] = {"sh", 0};
  run(cat_argv);
  long shell = spawn("virt-user", sh_argv);
  long jobs[2] = {spawn("virt-user", sieve_argv), spawn("virt-user", collatz_argv)};
  printf("init: started sieve (pid %ld) and collatz (pid %ld) in the background\n", jobs[0], jobs[1]);
  int status;
  waitpid(shell, &status);
  int failed = 0;
  for (int i = 0; i < 2; i++) {
    int status = -1;
    waitpid(jobs[i], &status);
    status = (status >> 8) & 0xff; // WEXITSTATUS
    printf("init: pid %ld exited with status %d\n", jobs[i], status);
    failed |= status != 0;
  }
  printf("init: %s, powering off\n", failed ? "FAIL" : "all jobs done");
  poweroff(failed);
  return 1;
}

// ---- arguments, for the workloads ----

long number(const char *s) {
  long v = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (*s - '0');
  return v;
}

// The number after `flag` (as in "-p 16"), or dflt when the flag is absent.
long option(int argc, char **argv, const char *flag, long dflt) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], flag) == 0)
      return number(argv[i + 1]);
  return dflt;
}

// v in decimal into buf (room for 21 bytes), for the argv of a process we start; returns buf.
char *decimal(char *buf, uint64 v) {
  char tmp[20];
  int n = 0;
  do
    tmp[n++] = '0' + v % 10;
  while (v /= 10);
  for (int i = 0; i < n; i++)
    buf[i] = tmp[n - 1 - i];
  buf[n] = 0;
  return buf;
}

static const char *base(const char *p) {
  const char *b = p;
  for (; *p; p++)
    if (*p == '/')
      b = p + 1;
  return b;
}

int main(int argc, char **argv) {
  for (int pass = 0; pass < 2 && argc > 0; pass++, argc--, argv++) {
    const char *me = base(argv[0]);
    if (strcmp(me, "init") == 0) return init(argc, argv);
    if (strcmp(me, "sh") == 0) return sh();
    if (strcmp(me, "cat") == 0) return cat(argc, argv);
    if (strcmp(me, "ls") == 0) return ls(argc, argv);
    if (strcmp(me, "sieve") == 0) return sieve();
    if (strcmp(me, "collatz") == 0) return collatz();
    if (strcmp(me, "engineering") == 0) return engineering(argc, argv);
    if (strcmp(me, "logicsim") == 0) return logicsim(argc, argv);
    if (strcmp(me, "cachesim") == 0) return cachesim(argc, argv);
    if (strcmp(me, "raytrace") == 0) return raytrace(argc, argv);
    if (strcmp(me, "rtworker") == 0) return rtworker(argc, argv);
    if (strcmp(me, "pmake") == 0) return pmake(argc, argv);
    if (strcmp(me, "cc") == 0) return cc(argc, argv);
  }
  printf("usage: virt-user init [PROG ARGS...]|sh|cat FILE...|ls|sieve|collatz|engineering|raytrace|pmake\n");
  return 2;
}
