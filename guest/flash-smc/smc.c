// Code that one node writes and others run (DESIGN.md invariant 5), with no fence.i: decoded
// instructions must follow the protocol, also where the harts of several nodes share one
// decoded-instruction cache (the nodes of one worker thread).
//
// Each round, hart 0 writes into `code` a function that returns the round's number, then sets
// `round`; every other hart waits for it, calls the function, stores what it returned in its
// slot of `got` and counts itself in `acks`. Hart 0 checks every slot before the next round.
// The readers ran last round's function from the same line, so a decoded copy that outlived the
// write would return last round's number. Hart 0 runs the function itself in odd rounds only, so
// that in even rounds the only harts that decoded it are the readers; alone (one node) it runs it
// every round, which checks that a hart's own stores drop what it decoded.
#include "lib.h"

#define ROUNDS 12

// One line of its own; the htif runtime runs in M-mode without PMP, so data is executable.
volatile uint32 code[32] __attribute__((aligned(128)));
volatile uint32 round_no __attribute__((aligned(128)));
volatile uint32 acks __attribute__((aligned(128)));
volatile uint64 got[64] __attribute__((aligned(128)));

typedef uint64 (*fn_t)(void);

static void write_function(uint32 value) {
  code[0] = 0x00000513u | (value << 20);  // addi a0, zero, value
  code[1] = 0x00008067u;                  // jalr zero, 0(ra): ret
}

static uint64 call_function(void) {
  return ((fn_t)(uintptr)code)();
}

void secondary_main(uint64 hartid, uint64 dtb, uint64 slice, uint64 nharts) {
  for (uint32 r = 1; r <= ROUNDS; r++) {
    while (__atomic_load_n(&round_no, __ATOMIC_ACQUIRE) != r) ;
    got[hartid] = call_function();
    __atomic_fetch_add(&acks, 1, __ATOMIC_ACQ_REL);
  }
  for (;;) asm volatile("wfi");
}

int main(uint64 hartid, uint64 dtb, uint64 slice, uint64 nharts) {
  if (nharts < 1 || nharts > 64) {
    printf("smc: needs 1 to 64 harts (a FLASH machine: a3 = nodes)\n");
    return 2;
  }
  uint64 errors = 0;
  for (uint32 r = 1; r <= ROUNDS; r++) {
    write_function(r);
    if (((r & 1) != 0 || nharts == 1) && call_function() != r) {
      printf("smc: round %u: hart 0 ran an old copy of the function\n", r);
      errors++;
    }
    __atomic_store_n(&round_no, r, __ATOMIC_RELEASE);
    while (__atomic_load_n(&acks, __ATOMIC_ACQUIRE) != r * (nharts - 1)) ;
    for (uint64 h = 1; h < nharts; h++) {
      if (got[h] != r) {
        printf("smc: round %u: hart %lu got %lu\n", r, h, got[h]);
        errors++;
      }
    }
  }
  printf("smc: %u rounds, %lu harts, %lu errors\n", ROUNDS, nharts, errors);
  return errors == 0 ? 0 : 1;
}
