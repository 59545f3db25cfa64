// The user program that kernel-sv39 runs twice, as two processes; a plain static Linux
// program, so `qemu-riscv64 guest/build/kernel-sv39-user.linux.elf sieve` runs it too.
//
// argv[1] picks the workload. Both keep their big tables in .bss, which the guest kernel maps
// only when first touched (demand paging), and both yield now and then; the kernel's timer
// preempts them in between. Each checks its answer and exits 0 only if it is right.
//   sieve    primes below 200000 in a byte table (17984 of them)
//   collatz  longest Collatz chain from a start below 100000, memoised (77031, 350 steps)
//   deep     recursion through 16 KiB of stack frames (stack growth by demand paging)
#include "lib.h"
#include "linux/linux.h"

#define SIEVE_N 200000
#define SIEVE_PRIMES 17984
#define COLLATZ_N 100000
#define COLLATZ_BEST 77031
#define COLLATZ_STEPS 350

static uint8 composite[SIEVE_N];
static uint16 chain[COLLATZ_N]; // steps to reach 1; 0 = not known yet (except chain[1])

static int sieve(void) {
  for (uint64 i = 2; i * i < SIEVE_N; i++) {
    if (composite[i])
      continue;
    for (uint64 j = i * i; j < SIEVE_N; j += i)
      composite[j] = 1;
    if (i == 2 || i == 101 || i == 307)
      printf("sieve: crossed out multiples of %lu\n", i);
    if (i % 64 == 1)
      sys_sched_yield();
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
    if (i % 25000 == 0) {
      printf("collatz: up to %lu, best so far %lu (%lu steps)\n", i, best, best_steps);
      sys_sched_yield();
    }
  }
  printf("collatz: longest chain below %d starts at %lu (%lu steps)\n", COLLATZ_N, best, best_steps);
  return best == COLLATZ_BEST && best_steps == COLLATZ_STEPS ? 0 : 1;
}

// Each level keeps 1 KiB live across the call, so the stack must grow by several pages.
static uint64 deep(int level) {
  volatile uint8 frame[1024];
  for (int i = 0; i < 1024; i++)
    frame[i] = (uint8)(level + i);
  uint64 below = level > 0 ? deep(level - 1) : 0;
  uint64 sum = below;
  for (int i = 0; i < 1024; i++)
    sum += frame[i];
  return sum;
}

static int deep_stack(void) {
  uint64 got = deep(15);
  uint64 want = 0;
  for (int level = 0; level <= 15; level++)
    for (int i = 0; i < 1024; i++)
      want += (uint8)(level + i);
  printf("deep: 16 frames of 1 KiB, checksum %lu\n", got);
  return got == want ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    printf("usage: %s sieve|collatz|deep\n", argc > 0 ? argv[0] : "user");
    return 2;
  }
  if (strcmp(argv[1], "sieve") == 0)
    return sieve();
  if (strcmp(argv[1], "collatz") == 0)
    return collatz() | deep_stack();
  if (strcmp(argv[1], "deep") == 0)
    return deep_stack();
  printf("unknown workload %s\n", argv[1]);
  return 2;
}
