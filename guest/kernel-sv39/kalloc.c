// Physical page allocator for the pages between the end of the image and PHYSTOP
// (xv6 kernel/kalloc.c without the lock: one hart, interrupts off in S-mode).
#include "defs.h"

extern char _end[]; // first byte after the image (link.ld)

struct run {
  struct run *next;
};

static struct run *freelist;
static int nfree;

static void push(void *pa) {
  struct run *r = pa;
  r->next = freelist;
  freelist = r;
  nfree++;
}

void kinit(void) {
  for (uint64 pa = PGROUNDUP((uint64)_end); pa + PGSIZE <= PHYSTOP; pa += PGSIZE)
    push((void *)pa);
}

void kfree(void *pa) {
  if ((uint64)pa % PGSIZE || (char *)pa < _end || (uint64)pa >= PHYSTOP)
    panic("kfree");
  // Junk-fill so that a use after free shows up as garbage rather than stale data.
  memset(pa, 1, PGSIZE);
  push(pa);
}

// One zeroed page, or 0 when memory is exhausted.
void *kalloc(void) {
  struct run *r = freelist;
  if (!r)
    return 0;
  freelist = r->next;
  nfree--;
  memset(r, 0, PGSIZE);
  return r;
}

int kfreecount(void) { return nfree; }
