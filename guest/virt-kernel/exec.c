// Loads an ELF executable from the disk into a fresh address space and builds the Linux initial
// stack (argc, argv[], NULL, envp NULL, auxv AT_NULL), as execve does (kernel-sv39's exec, with
// the file read from FDFS instead of memory).
//
// File-backed pages are read in now. The part of a segment past its file bytes (.bss) starts on
// the first page past them and is left unmapped: uvmdemand() maps it on first touch. The pages
// of read-only segments (text, rodata) come from the page cache: read from the disk by the first
// exec of the file and mapped into every process that runs it, as any Unix shares program text.
#include "defs.h"
#include "elf.h"

// The page cache: a read-only page of an executable by file and address. Never evicted (the
// disk is small); when full, a process gets pages of its own.
#define NCACHE 256
static struct {
  int file;
  uint64 va, pa;
} cache[NCACHE];
static int ncache, nshared; // pages cached; mappings of cached pages made by exec
static struct spinlock cache_lock = {0, -1, "pagecache"};

void pagecache_report(void) { printf("[kernel] page cache: %d pages, mapped %d times\n", ncache, nshared); }

static uint64 cache_lookup(int file, uint64 va) {
  for (int i = 0; i < ncache; i++)
    if (cache[i].file == file && cache[i].va == va)
      return cache[i].pa;
  return 0;
}

// Keeps `pa` as the page of (file, va) unless another exec got there first; returns the page to
// map, and whether it is the cache's.
static uint64 cache_insert(int file, uint64 va, uint64 pa, int *shared) {
  acquire(&cache_lock);
  uint64 had = cache_lookup(file, va);
  int kept = !had && ncache < NCACHE;
  if (kept)
    cache[ncache++] = (typeof(cache[0])){file, va, pa};
  release(&cache_lock);
  *shared = had || kept;
  if (had)
    kfree((void *)pa);
  return had ? had : pa;
}

static uint64 flags_to_perm(uint32 f) {
  uint64 perm = PTE_U;
  if (f & PF_R)
    perm |= PTE_R;
  if (f & PF_W)
    perm |= PTE_W;
  if (f & PF_X)
    perm |= PTE_X;
  return perm;
}

// A fresh page holding the segment's file bytes that fall in [va, va + PGSIZE), or 0.
static uint8 *readpage(int file, const struct proghdr *ph, uint64 va) {
  uint8 *page = kalloc();
  uint64 lo = va < ph->vaddr ? ph->vaddr : va;
  uint64 hi = va + PGSIZE < ph->vaddr + ph->filesz ? va + PGSIZE : ph->vaddr + ph->filesz;
  if (page && lo < hi && fs_read(file, ph->off + (lo - ph->vaddr), page + (lo - va), hi - lo) != (long)(hi - lo)) {
    kfree(page);
    return 0;
  }
  return page;
}

static int loadseg(pagetable_t pt, int file, const struct proghdr *ph) {
  uint64 start = PGROUNDDOWN(ph->vaddr), end = PGROUNDUP(ph->vaddr + ph->filesz);
  int readonly = !(ph->flags & PF_W);
  for (uint64 va = start; va < end; va += PGSIZE) {
    acquire(&cache_lock);
    uint64 pa = readonly ? cache_lookup(file, va) : 0;
    release(&cache_lock);
    int shared = pa != 0;
    if (!pa) {
      pa = (uint64)readpage(file, ph, va); // the disk may sleep: no lock held
      if (!pa)
        return -1;
      if (readonly)
        pa = cache_insert(file, va, pa, &shared);
    }
    if (mappages(pt, va, PGSIZE, pa, flags_to_perm(ph->flags) | (shared ? PTE_SHARED : 0)) < 0) {
      if (!shared)
        kfree((void *)pa);
      return -1;
    }
    if (shared)
      __atomic_fetch_add(&nshared, 1, __ATOMIC_RELAXED);
  }
  return 0;
}

// Puts argv on the stack page at stack_pa (mapped at USTACK_TOP - PGSIZE); returns the sp.
static uint64 setup_stack(uint8 *stack_pa, char **argv) {
  uint64 base = USTACK_TOP - PGSIZE;
  uint64 sp = USTACK_TOP;
  uint64 uargv[NARG + 1];
  int argc = 0;
  for (; argv[argc]; argc++) {
    if (argc == NARG)
      return 0;
    uint64 n = strlen(argv[argc]) + 1;
    sp -= n;
    memcpy(stack_pa + (sp - base), argv[argc], n);
    uargv[argc] = sp;
  }
  uargv[argc] = 0;
  uint64 words[2 * NARG + 8];
  int w = 0;
  words[w++] = argc;
  for (int i = 0; i <= argc; i++)
    words[w++] = uargv[i];
  words[w++] = 0;       // envp terminator
  words[w++] = AT_NULL; // auxv terminator
  words[w++] = 0;
  sp = (sp - w * 8) & ~15UL; // the ABI wants sp 16-byte aligned at entry
  memcpy(stack_pa + (sp - base), words, w * 8);
  return sp;
}

int exec(struct proc *p, const char *path, char **argv) {
  int file = fs_lookup(path);
  if (file < 0)
    return -1;
  struct elfhdr eh;
  if (fs_read(file, 0, &eh, sizeof(eh)) != sizeof(eh) || eh.magic != ELF_MAGIC || eh.class != ELFCLASS64 ||
      eh.machine != EM_RISCV || eh.type != ET_EXEC || eh.phentsize != sizeof(struct proghdr))
    return -1;
  pagetable_t pt = uvmcreate();
  if (!pt)
    return -1;
  p->pagetable = pt; // freed with the process on failure
  for (int i = 0; i < eh.phnum; i++) {
    struct proghdr ph;
    if (fs_read(file, eh.phoff + i * sizeof(ph), &ph, sizeof(ph)) != sizeof(ph))
      return -1;
    if (ph.type != PT_LOAD)
      continue;
    if (ph.memsz < ph.filesz || ph.vaddr + ph.memsz < ph.vaddr ||
        ph.vaddr + ph.memsz > USTACK_TOP - USTACK_PAGES * PGSIZE || ph.off + ph.filesz > fs_size(file))
      return -1;
    if (loadseg(pt, file, &ph) < 0)
      return -1;
    if (ph.memsz > ph.filesz) {
      p->bss_lo = PGROUNDUP(ph.vaddr + ph.filesz);
      p->bss_hi = ph.vaddr + ph.memsz;
    }
  }
  uint8 *stack = kalloc();
  if (!stack || mappages(pt, USTACK_TOP - PGSIZE, PGSIZE, (uint64)stack, PTE_R | PTE_W | PTE_U) < 0)
    return -1;
  memset(p->tf, 0, sizeof(*p->tf));
  uint64 sp = setup_stack(stack, argv);
  if (sp == 0)
    return -1;
  p->tf->regs[REG_SP] = sp;
  p->tf->epc = eh.entry;
  return 0;
}
