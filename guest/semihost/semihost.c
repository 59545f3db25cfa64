// A bare-metal program on picolibc's semihosting runtime: every service it uses, console,
// command line, clock, files and exit, is a RISC-V semihosting call to the host (flashdisco
// run --semihosting, or qemu-system-riscv64 -semihosting). crt0-semihost fetches the command
// line (SYS_GET_CMDLINE) and splits it at spaces into argv; printf goes out a byte at a time
// (SYS_WRITEC); exit() ends with SYS_EXIT_EXTENDED once the features file says it may.
//
// Arguments after argv[0] (the image's name), each optional:
//   read=FILE     open FILE in the working directory, print its length and contents
//   outside=PATH  try to open PATH, which the host should refuse, and print errno
//   exit=N        exit with status N when every check passed (99 otherwise)
//   stdin         read a line from the console (stdin) and print it back
//   calls         exercise the calls picolibc's stdio leaves alone: WRITE0, WRITEC, READC,
//                 ISTTY, SEEK, FLEN, ERRNO, HEAPINFO
//   timing        print the clock readings (simulated time under flashdisco, host time under
//                 QEMU) and HEAPINFO's answer, which differ between the two
//
// Each check prints one line, `ok` or `FAILED`; the last line says PASS or FAIL.

#include <errno.h>
#include <fcntl.h>
#include <semihost.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what) {
  printf("%s: %s\n", what, ok ? "ok" : "FAILED");
  if (!ok) failures++;
}

// A fixed amount of work for the clock to measure.
static unsigned long work(void) {
  unsigned long x = 1;
  for (int i = 0; i < 200000; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
  return x;
}

static void timing(int print) {
  clock_t c0 = clock();
  uintptr_t cs0 = sys_semihost_clock();
  time_t t0 = time(NULL);
  unsigned long x = work();
  clock_t c1 = clock();
  uintptr_t cs1 = sys_semihost_clock();
  time_t t1 = time(NULL);
  uintptr_t freq = sys_semihost_tickfreq();
  check(c1 > c0, "clock() advances over the work");
  check(cs1 >= cs0, "SYS_CLOCK never goes back");
  check(t1 >= t0, "time() never goes back");
  check(freq > 0, "SYS_TICKFREQ is positive");
  if (print) {
    printf("timing: work %lx took %lu ticks at %lu ticks/s; SYS_CLOCK %lu -> %lu cs; time %ld -> %ld\n", x,
           (unsigned long)(c1 - c0), (unsigned long)freq, (unsigned long)cs0, (unsigned long)cs1, (long)t0,
           (long)t1);
  }
}

static void read_file(const char *name) {
  FILE *f = fopen(name, "r");
  check(f != NULL, "open the file in the working directory");
  if (f == NULL) {
    printf("  %s: errno %d\n", name, errno);
    return;
  }
  check(fseek(f, 0, SEEK_END) == 0, "seek to its end");
  long len = ftell(f);
  check(fseek(f, 0, SEEK_SET) == 0, "seek back to its start");
  printf("file %s: %ld bytes\n", name, len);
  char buf[128];
  long total = 0;
  while (fgets(buf, sizeof buf, f) != NULL) {
    total += (long)strlen(buf);
    printf("| %s", buf);
  }
  check(total == len, "read as many bytes as its length");
  check(fclose(f) == 0, "close it");
}

static void outside(const char *path) {
  errno = 0;
  int fd = open(path, O_RDONLY);
  int err = errno;
  check(fd < 0, "a path outside the working directory is refused");
  printf("open %s: %d, errno %d (%s)\n", path, fd, err, strerror(err));
  if (fd >= 0) close(fd);
}

static void echo_stdin(void) {
  char line[128];
  if (fgets(line, sizeof line, stdin) == NULL) {
    printf("stdin: end of input\n");
    return;
  }
  printf("stdin: %s", line);
}

// A semihosting call made here rather than through picolibc (call.S).
long semihost_call(long op, void *param);

#define SYS_HEAPINFO 0x16

// The calls picolibc's stdio does not make for this program, made directly.
static void calls(int print) {
  sys_semihost_write0("WRITE0: a string in one call\n");
  const char *w = "WRITEC\n";
  for (const char *p = w; *p; p++) sys_semihost_putc(*p, stdout);

  int tt = sys_semihost_open(":tt", SH_OPEN_W);
  check(tt > 0, "open :tt for writing");
  check(sys_semihost_istty(tt) == 1, "ISTTY says :tt is the console");
  check(sys_semihost_write(tt, "WRITE to :tt\n", 13) == 0, "WRITE to :tt writes every byte");
  check(sys_semihost_close(tt) == 0, "close :tt");

  int fd = sys_semihost_open("semihost-scratch.txt", SH_OPEN_W_PLUS);
  check(fd > 0, "create a scratch file");
  check(sys_semihost_write(fd, "0123456789", 10) == 0, "WRITE ten bytes");
  check(sys_semihost_flen(fd) == 10, "FLEN says ten");
  check(sys_semihost_istty(fd) == 0, "ISTTY says a file is not the console");
  check(sys_semihost_seek(fd, 4) == 0, "SEEK to byte 4");
  char b[8] = {0};
  check(sys_semihost_read(fd, b, 8) == 2, "READ 8 at byte 4 leaves 2 unread");
  check(memcmp(b, "456789", 6) == 0, "READ gets the bytes from 4 on");
  check(sys_semihost_close(fd) == 0, "close the scratch file");
  check(sys_semihost_remove("semihost-scratch.txt") == 0, "REMOVE the scratch file");
  check(sys_semihost_open("semihost-scratch.txt", SH_OPEN_R) == -1, "it is gone");
  check(sys_semihost_errno() == ENOENT, "ERRNO says ENOENT");
  check(sys_semihost_close(fd) == -1 && sys_semihost_errno() == EBADF, "closing it again: EBADF");

  // The parameter block holds a pointer to the four words the host fills in (picolibc 1.8's
  // sys_semihost_heapinfo passes the four words themselves, which QEMU and flashdisco take as
  // the pointer).
  struct sys_semihost_block heap = {0};
  void *block = &heap;
  check(semihost_call(SYS_HEAPINFO, &block) == 0, "HEAPINFO returns 0");
  check(heap.heap_base != 0 && heap.heap_limit > heap.heap_base, "HEAPINFO gives a heap");
  if (print) {
    printf("heap %p..%p, stack %p..%p\n", heap.heap_base, heap.heap_limit, heap.stack_limit, heap.stack_base);
  }

  int c = sys_semihost_getc(stdin);
  printf("READC: %d\n", c);
}

int main(int argc, char **argv) {
  printf("semihost: hello from picolibc, argc = %d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);
  int status = 0, print_timing = 0;
  for (int i = 1; i < argc; i++) if (strcmp(argv[i], "timing") == 0) print_timing = 1;
  timing(print_timing);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "read=", 5) == 0) read_file(a + 5);
    else if (strncmp(a, "outside=", 8) == 0) outside(a + 8);
    else if (strncmp(a, "exit=", 5) == 0) status = atoi(a + 5);
    else if (strcmp(a, "stdin") == 0) echo_stdin();
    else if (strcmp(a, "calls") == 0) calls(print_timing);
  }
  printf("semihost: %s\n", failures == 0 ? "PASS" : "FAIL");
  exit(failures == 0 ? status : 99);
}
