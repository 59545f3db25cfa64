// Multiprocessor runtime for bare-metal images that run on every FLASH node at once.
//
// Build: the program's build.json says  "uses": ["mp"], "cflags": ["-DMP_RUNTIME=1"].
// Then every hart (not only hart 0) enters main(hartid) once the runtime has started all of
// them; hart 0's return value is the exit status, other harts park when they return. The
// FLASH machine passes the hart count in a3 and the slice size in a2 (entry.S); elsewhere a
// program runs on one hart. Only hart 0 should print.
//
// Memory: each hart's stack and its data region live in its own node's home memory
// (mp_param.h draws the slice). mp_local_base(k) is where hart k's share of the program's
// arrays goes; any hart may compute it for any other hart and read or write there, which is
// how the programs here distribute shared arrays over the nodes (as SPLASH-2 does with page
// placement). Statics in .bss/.data live on node 0: keep them read-mostly, and pad anything
// that several harts write to its own MP_LINE-byte line.
#pragma once
#include "lib.h"
#include "mp_param.h"

#ifndef MP_RUNTIME
#error "mp.h needs build.json \"cflags\": [\"-DMP_RUNTIME=1\"], so that crt0 jumps to mp_entry"
#endif

#define MP_ALIGNED __attribute__((aligned(MP_LINE)))

// Workload parameters: 64-bit globals with a default, in section .params, e.g.
//   uint64 radix_keys MP_PARAM = 524288;
// There is no command line; a benchmark overwrites them by symbol in the loaded image before
// the run (runFlash's `patch`). Do not make them const, or the compiler folds the default in.
#define MP_PARAM __attribute__((used, section(".params")))

// Published by hart 0 before it releases the other harts (mp_boot); read-only afterwards.
struct mp_info {
  uint64 nharts; // harts running main: a3 from the machine, or MP_NHARTS_DEFAULT
  uint64 slice;  // bytes of home memory per node: a2, or MP_FLAT_SLICE
} MP_ALIGNED;
extern struct mp_info mp_info;

int main(uint64 hartid);

static inline uint64 mp_hartid(void) {
  uint64 id;
  asm volatile("mv %0, tp" : "=r"(id));
  return id;
}
static inline uint64 mp_nharts(void) { return mp_info.nharts; }

// The data region of hart k: [mp_local_base(k), mp_local_base(k) + mp_local_size()).
uint64 mp_local_base(uint64 hart);
uint64 mp_local_size(void);
static inline uint64 mp_align(uint64 x, uint64 a) { return (x + a - 1) & ~(a - 1); }

// Every running hart must call it; returns when all have. A software combining tree
// (fan-in MP_BARRIER_FANIN, nodes spread over the harts' memories) with sense reversal:
// arrivals amoadd the counter of their group, the last one goes up a level, and the root's
// last arrival releases the tree downwards. Implies a full fence: writes before the barrier
// are visible to every hart after it.
void mp_barrier(void);

// A barrier that also adds up v[0..n) (n <= MP_SUMS) over all harts, on the way up the tree,
// and gives every hart the totals in v. Use it instead of amoadds on one shared line, which
// all harts would fight over.
void mp_barrier_sum(uint64 *v, int n);

// Test-and-test-and-set spinlock on amoswap; put each lock on its own line.
// mp_lock is an acquire (amoswap.w.aq): later accesses stay after it. mp_unlock is a release
// (fence rw,w; sw 0): earlier accesses are visible before the lock is seen free.
typedef struct {
  volatile uint32 locked;
} MP_ALIGNED mp_lock_t;
void mp_lock(mp_lock_t *l);
void mp_unlock(mp_lock_t *l);

// Park this hart for good (wfi loop).
void mp_park(void) __attribute__((noreturn));

// splitmix64's finaliser: the programs' pseudo-random data and checksums.
static inline uint64 mp_mix64(uint64 x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9UL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebUL;
  x ^= x >> 31;
  return x;
}

// Reads the hart's cycle and retired-instruction counters (for the programs' reports).
static inline uint64 mp_rdcycle(void) {
  uint64 x;
  asm volatile("csrr %0, mcycle" : "=r"(x));
  return x;
}
static inline uint64 mp_rdinstret(void) {
  uint64 x;
  asm volatile("csrr %0, minstret" : "=r"(x));
  return x;
}
