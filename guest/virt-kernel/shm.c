// System V shared memory (shmget, shmat, shmdt, shmctl IPC_RMID), what processes that cannot
// fork share data through. A segment's pages are allocated on first touch by whoever touches
// them first and are never the table's (PTE_SHARED), so a process's exit or detach leaves them;
// a segment is freed once it is removed and nobody has it attached.
//
// Each process attaches at most NSHMAT segments, segment at slot i at SHM_BASE + i * SHM_SLOT.
// shm_lock guards every segment's fields and page list; a process's own shm[] is its own.
#include "defs.h"

#define IPC_CREAT 01000
#define ENOENT 2
#define EINVAL 22
#define EMFILE 24
#define ENOSPC 28

struct segment {
  int used, key, removed, attached;
  uint64 size;
  uint32 page[SHM_MAX / PGSIZE]; // page numbers (pa / PGSIZE), 0 until first touched
};

static struct spinlock shm_lock;
static struct segment segs[NSHM];

void shminit(void) { initlock(&shm_lock, "shm"); }

static void segfree(struct segment *s) {
  for (uint64 i = 0; i < s->size / PGSIZE; i++)
    if (s->page[i])
      kfree((void *)((uint64)s->page[i] * PGSIZE));
  s->used = 0;
}

// The segment of `key`, made if flags has IPC_CREAT; its id, or -errno.
long shmget(int key, uint64 size, int flags) {
  size = PGROUNDUP(size);
  acquire(&shm_lock);
  long r = -ENOSPC;
  for (int i = 0; i < NSHM; i++) {
    if (segs[i].used && !segs[i].removed && segs[i].key == key) {
      r = size <= segs[i].size ? i : -EINVAL;
      goto out;
    }
  }
  if (!(flags & IPC_CREAT)) {
    r = -ENOENT;
  } else if (size == 0 || size > SHM_MAX) {
    r = -EINVAL;
  } else {
    for (int i = 0; i < NSHM; i++) {
      if (!segs[i].used) {
        memset(&segs[i], 0, sizeof(segs[i]));
        segs[i].used = 1;
        segs[i].key = key;
        segs[i].size = size;
        r = i;
        break;
      }
    }
  }
out:
  release(&shm_lock);
  return r;
}

static struct segment *segment(int id) {
  return id >= 0 && id < NSHM && segs[id].used && !segs[id].removed ? &segs[id] : 0;
}

long shmat(struct proc *p, int id) {
  int slot = -1;
  for (int i = 0; i < NSHMAT && slot < 0; i++)
    if (p->shm[i] < 0)
      slot = i;
  acquire(&shm_lock);
  struct segment *s = segment(id);
  long r = !s ? -EINVAL : slot < 0 ? -EMFILE : (long)(SHM_BASE + slot * SHM_SLOT);
  if (r > 0) {
    s->attached++;
    p->shm[slot] = id;
  }
  release(&shm_lock);
  return r;
}

static void detach(struct proc *p, int slot) {
  struct segment *s = &segs[p->shm[slot]];
  p->shm[slot] = -1;
  if (--s->attached == 0 && s->removed)
    segfree(s);
}

long shmdt(struct proc *p, uint64 va) {
  int slot = (int)((va - SHM_BASE) / SHM_SLOT);
  if (va < SHM_BASE || va % SHM_SLOT || slot >= NSHMAT || p->shm[slot] < 0)
    return -EINVAL;
  acquire(&shm_lock);
  uvmunmap(p->pagetable, va, segs[p->shm[slot]].size);
  detach(p, slot);
  release(&shm_lock);
  sfence_vma(); // only this process's table changed, and it runs here
  return 0;
}

long shmrm(int id) {
  acquire(&shm_lock);
  struct segment *s = segment(id);
  if (s) {
    s->removed = 1;
    if (s->attached == 0)
      segfree(s);
  }
  release(&shm_lock);
  return s ? 0 : -EINVAL;
}

// At exit: every attachment goes (the table, freed later, skips the segments' pages).
void shmexit(struct proc *p) {
  acquire(&shm_lock);
  for (int i = 0; i < NSHMAT; i++)
    if (p->shm[i] >= 0)
      detach(p, i);
  release(&shm_lock);
}

// Maps the segment page at va if va lies in an attached segment; 1 if it did. The page is
// allocated by the first process to touch it.
int shmdemand(struct proc *p, uint64 va) {
  int slot = (int)((va - SHM_BASE) / SHM_SLOT);
  if (va < SHM_BASE || slot >= NSHMAT || p->shm[slot] < 0)
    return 0;
  acquire(&shm_lock);
  struct segment *s = &segs[p->shm[slot]];
  uint64 off = va - (SHM_BASE + slot * SHM_SLOT), i = off / PGSIZE;
  int ok = 0;
  if (off < s->size) {
    if (!s->page[i]) {
      void *mem = kalloc();
      s->page[i] = (uint64)mem / PGSIZE;
    }
    ok = s->page[i] && mappages(p->pagetable, PGROUNDDOWN(va), PGSIZE, (uint64)s->page[i] * PGSIZE,
                                PTE_R | PTE_W | PTE_U | PTE_SHARED) == 0;
  }
  release(&shm_lock);
  return ok;
}
