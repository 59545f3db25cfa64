// Spinlocks (xv6 kernel/spinlock.c). The kernel runs with interrupts off everywhere except in
// the scheduler's idle wait, where it holds no lock, so a lock never needs to mask interrupts.
// acquire is an LR/SC loop (the compare-and-swap below compiles to lr.w.aq / sc.w); release is
// a store with release ordering.
#include "defs.h"

void initlock(struct spinlock *lk, const char *name) {
  lk->locked = 0;
  lk->cpu = -1;
  lk->name = name;
}

int holding(struct spinlock *lk) { return lk->locked && lk->cpu == cpuid(); }

void acquire(struct spinlock *lk) {
  if (holding(lk))
    panic(lk->name);
  for (;;) {
    uint32 expected = 0;
    if (__atomic_compare_exchange_n(&lk->locked, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      break;
  }
  lk->cpu = cpuid();
}

void release(struct spinlock *lk) {
  if (!holding(lk))
    panic("release");
  lk->cpu = -1;
  __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
}
