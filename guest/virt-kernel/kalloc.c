// Physical page allocator (xv6 kernel/kalloc.c): one page at a time from a free list.
#include "defs.h"

struct run {
  struct run *next;
};

static struct spinlock lock;
static struct run *freelist;
static int nfree;
static uint64 lo, hi;

static void push(void *pa) {
  struct run *r = pa;
  r->next = freelist;
  freelist = r;
  nfree++;
}

void kinit(uint64 start, uint64 end) {
  initlock(&lock, "kalloc");
  lo = PGROUNDUP(start);
  hi = PGROUNDDOWN(end);
  for (uint64 pa = hi - PGSIZE; pa >= lo; pa -= PGSIZE) // low addresses come out first
    push((void *)pa);
}

void kfree(void *pa) {
  if ((uint64)pa % PGSIZE || (uint64)pa < lo || (uint64)pa >= hi)
    panic("kfree");
  memset(pa, 1, PGSIZE); // junk: a use after free shows up as garbage
  acquire(&lock);
  push(pa);
  release(&lock);
}

// One zeroed page, or 0 when memory is exhausted.
void *kalloc(void) {
  acquire(&lock);
  struct run *r = freelist;
  if (r) {
    freelist = r->next;
    nfree--;
  }
  release(&lock);
  if (r)
    memset(r, 0, PGSIZE);
  return r;
}

int kfreecount(void) { return nfree; }
