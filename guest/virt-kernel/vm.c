// Sv39 page tables (xv6 kernel/vm.c): the kernel's map, processes' tables that share it, demand
// paging, and copying to and from user memory.
//
//   va: 63..39 = bit 38 | 38..30 VPN[2] | 29..21 VPN[1] | 20..12 VPN[0] | 11..0 offset
//
// The kernel maps RAM from itself up (text R X, the rest R W; 2 MiB pages where alignment
// allows) and the device windows at IO(pa). Those mappings hang off root entries 2 and up; a
// process's table points its entries 2..511 at the kernel's own, so kernel memory is mapped
// (without U) in every address space and never copied or freed with a process.
#include "defs.h"

extern char _etext[], _start[];
static pagetable_t kernel_pagetable;

#define MEGA (2UL << 20)
#define SHARED_ROOT 2 // root entries from here on are the kernel's

// The PTE for va at `level` (0: a 4 KiB page, 1: 2 MiB), creating tables when alloc is set.
static pte_t *walk_level(pagetable_t pt, uint64 va, int alloc, int target) {
  for (int level = 2; level > target; level--) {
    pte_t *pte = &pt[PX(level, va)];
    if (*pte & PTE_V) {
      if (*pte & (PTE_R | PTE_W | PTE_X))
        return 0; // a bigger page is in the way
      pt = (pagetable_t)PTE2PA(*pte);
    } else {
      if (!alloc || (pt = kalloc()) == 0)
        return 0;
      *pte = PA2PTE(pt) | PTE_V;
    }
  }
  return &pt[PX(target, va)];
}

pte_t *walk(pagetable_t pt, uint64 va, int alloc) { return walk_level(pt, va, alloc, 0); }

// Maps [va, va + size) to pa with `perm`, in 2 MiB pages where both are aligned.
int mappages(pagetable_t pt, uint64 va, uint64 size, uint64 pa, uint64 perm) {
  if (size == 0 || va % PGSIZE || size % PGSIZE)
    panic("mappages");
  for (uint64 end = va + size; va < end;) {
    int mega = va % MEGA == 0 && pa % MEGA == 0 && end - va >= MEGA;
    pte_t *pte = walk_level(pt, va, 1, mega ? 1 : 0);
    if (pte == 0)
      return -1;
    if (*pte & PTE_V)
      panic("mappages: remap");
    // A and D preset: this kernel does not track them, and the hart need not write them.
    *pte = PA2PTE(pa) | perm | PTE_V | PTE_A | PTE_D;
    va += mega ? MEGA : PGSIZE;
    pa += mega ? MEGA : PGSIZE;
  }
  return 0;
}

static void kmap(uint64 va, uint64 size, uint64 pa, uint64 perm) {
  if (mappages(kernel_pagetable, va, size, pa, perm | PTE_G) < 0)
    panic("kvminit");
}

void kvminit(void) {
  kernel_pagetable = kalloc();
  uint64 text = (uint64)_start, etext = (uint64)_etext;
  uint64 ram_end = machine.ram_base + machine.ram_size;
  kmap(text, etext - text, text, PTE_R | PTE_X);
  uint64 mega = (etext + MEGA - 1) & ~(MEGA - 1);
  if (mega > ram_end)
    mega = ram_end;
  kmap(etext, mega - etext, etext, PTE_R | PTE_W);
  if (ram_end > mega)
    kmap(mega, ram_end - mega, mega, PTE_R | PTE_W);
  kmap(IO(machine.uart), PGSIZE, machine.uart, PTE_R | PTE_W);
  uint64 plic_size = PGROUNDUP(0x200000 + 0x1000UL * 2 * machine.ncpu);
  kmap(IO(machine.plic), plic_size, machine.plic, PTE_R | PTE_W);
  for (int i = 0; i < machine.nvirtio; i++)
    kmap(IO(machine.virtio[i]), PGSIZE, machine.virtio[i], PTE_R | PTE_W);
}

// This hart uses the kernel's table (also after a process's table has gone).
void kvminithart(void) {
  sfence_vma(); // the table writes before the walk uses them
  w_satp(MAKE_SATP(kernel_pagetable));
  sfence_vma();
}

pagetable_t uvmcreate(void) {
  pagetable_t pt = kalloc();
  if (pt)
    for (int i = SHARED_ROOT; i < 512; i++)
      pt[i] = kernel_pagetable[i];
  return pt;
}

// Frees a user table and every page it owns; the shared kernel entries are not followed.
static void freewalk(pagetable_t pt, int level) {
  for (int i = 0; i < 512; i++) {
    pte_t pte = pt[i];
    if (!(pte & PTE_V) || (level == 2 && i >= SHARED_ROOT))
      continue;
    if (!(pte & (PTE_R | PTE_W | PTE_X)))
      freewalk((pagetable_t)PTE2PA(pte), level - 1);
    else if (!(pte & PTE_SHARED)) // the page cache's and segments' pages are not the table's
      kfree((void *)PTE2PA(pte));
  }
  kfree(pt);
}

void uvmfree(pagetable_t pt) { freewalk(pt, 2); }

// Drops the 4 KiB leaves of [va, va + size) (the pages are not freed: they are a segment's).
void uvmunmap(pagetable_t pt, uint64 va, uint64 size) {
  for (uint64 a = va; a < va + size; a += PGSIZE) {
    pte_t *pte = walk(pt, a, 0);
    if (pte)
      *pte = 0;
  }
}

static int in_demand_range(struct proc *p, uint64 va) {
  return (va >= p->bss_lo && va < p->bss_hi) || (va >= USTACK_TOP - USTACK_PAGES * PGSIZE && va < USTACK_TOP);
}

// Maps a zero page at va if it lies in a demand-zero range with nothing mapped there yet, or the
// page of a shared memory segment attached there.
int uvmdemand(struct proc *p, uint64 va) {
  if (va >= USER_LIMIT)
    return 0;
  pte_t *pte = walk(p->pagetable, va, 0);
  if (pte && (*pte & PTE_V))
    return 0; // mapped: a protection fault
  if (shmdemand(p, va)) {
    sfence_vma_addr(PGROUNDDOWN(va));
    p->faults++;
    return 1;
  }
  if (!in_demand_range(p, va))
    return 0;
  void *mem = kalloc();
  if (!mem)
    return 0;
  if (mappages(p->pagetable, PGROUNDDOWN(va), PGSIZE, (uint64)mem, PTE_R | PTE_W | PTE_U) < 0) {
    kfree(mem);
    return 0;
  }
  sfence_vma_addr(PGROUNDDOWN(va)); // the hart may have cached the invalid entry
  p->faults++;
  return 1;
}

// Checks (and demand-maps) every page of [va, va + len) for the user permissions `need`.
static int user_range(struct proc *p, uint64 va, uint64 len, uint64 need) {
  if (va + len < va || va + len > USER_LIMIT)
    return -1;
  for (uint64 a = PGROUNDDOWN(va); a < va + len; a += PGSIZE) {
    pte_t *pte = walk(p->pagetable, a, 0);
    if (!pte || !(*pte & PTE_V)) {
      if (!uvmdemand(p, a))
        return -1;
      pte = walk(p->pagetable, a, 0);
    }
    if ((*pte & (PTE_U | need)) != (PTE_U | need))
      return -1;
  }
  return 0;
}

// Copies through the user mapping with sstatus.SUM set, once every page has been checked.
int copyin(struct proc *p, void *dst, uint64 srcva, uint64 len) {
  if (user_range(p, srcva, len, PTE_R) < 0)
    return -1;
  CSR_SET(sstatus, MSTATUS_SUM);
  memcpy(dst, (const void *)srcva, len);
  CSR_CLEAR(sstatus, MSTATUS_SUM);
  return 0;
}

int copyout(struct proc *p, uint64 dstva, const void *src, uint64 len) {
  if (user_range(p, dstva, len, PTE_W) < 0)
    return -1;
  CSR_SET(sstatus, MSTATUS_SUM);
  memcpy((void *)dstva, src, len);
  CSR_CLEAR(sstatus, MSTATUS_SUM);
  return 0;
}

// A NUL-terminated string of at most max bytes (with the NUL); -1 if longer or unmapped.
int copyinstr(struct proc *p, char *dst, uint64 srcva, uint64 max) {
  for (uint64 i = 0; i < max; i++) {
    if (copyin(p, dst + i, srcva + i, 1) < 0)
      return -1;
    if (dst[i] == 0)
      return 0;
  }
  return -1;
}
