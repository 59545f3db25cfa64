// Physical page allocator: one page at a time from a stack of free page numbers.
//
// The stack lives in pages of its own at the start of the free range, not inside the free pages
// (as xv6 keeps it): a page is first written when it is handed out, by the hart that asked for
// it, as with IRIX's pfdat or Linux's struct page. A NUMA machine that places a page where it is
// first touched (the monitor's first-touch) then sees the allocating hart's touch, not the boot
// hart's walk over all memory; the kernel itself knows nothing of where its pages are.
#include "defs.h"

static struct spinlock lock;
static uint32 *stack; // page numbers, from lo
static int nfree;
static uint64 lo, hi;

void kinit(uint64 start, uint64 end) {
  initlock(&lock, "kalloc");
  start = PGROUNDUP(start);
  end = PGROUNDDOWN(end);
  uint64 pages = (end - start) / PGSIZE;
  stack = (uint32 *)start;
  lo = PGROUNDUP(start + pages * sizeof(uint32));
  hi = end;
  for (uint64 pa = hi - PGSIZE; pa >= lo; pa -= PGSIZE) // low addresses come out first
    stack[nfree++] = (pa - lo) / PGSIZE;
}

void kfree(void *pa) {
  if ((uint64)pa % PGSIZE || (uint64)pa < lo || (uint64)pa >= hi)
    panic("kfree");
  acquire(&lock);
  stack[nfree++] = ((uint64)pa - lo) / PGSIZE;
  release(&lock);
}

// One zeroed page, or 0 when memory is exhausted.
void *kalloc(void) {
  void *r = 0;
  acquire(&lock);
  if (nfree)
    r = (void *)(lo + (uint64)stack[--nfree] * PGSIZE);
  release(&lock);
  if (r)
    memset(r, 0, PGSIZE);
  return r;
}

int kfreecount(void) { return nfree; }
