// Sv39 page tables: the kernel's identity map, per-process tables that share it, demand
// paging, and copying from user memory (xv6 kernel/vm.c).
//
//   va: 63..39 = bit 38 | 38..30 VPN[2] | 29..21 VPN[1] | 20..12 VPN[0] | 11..0 offset
//
// The kernel's mappings all sit under root entry PX(2, KERNBASE); a process table points that
// entry at the kernel's own level-1 table, so kernel memory is mapped (without U) in every
// address space and never copied or freed with a process.
#include "defs.h"

extern char _etext[]; // end of kernel text and rodata, page aligned (link.ld)

static pagetable_t kernel_pagetable;

// The address of the PTE for va, creating missing tables when alloc is set.
pte_t *walk(pagetable_t pt, uint64 va, int alloc) {
  if (va >= MAXVA)
    panic("walk");
  for (int level = 2; level > 0; level--) {
    pte_t *pte = &pt[PX(level, va)];
    if (*pte & PTE_V) {
      pt = (pagetable_t)PTE2PA(*pte);
    } else {
      if (!alloc || (pt = kalloc()) == 0)
        return 0;
      *pte = PA2PTE(pt) | PTE_V;
    }
  }
  return &pt[PX(0, va)];
}

int mappages(pagetable_t pt, uint64 va, uint64 size, uint64 pa, uint64 perm) {
  if (size == 0 || va % PGSIZE || size % PGSIZE)
    panic("mappages");
  for (uint64 a = va; a < va + size; a += PGSIZE, pa += PGSIZE) {
    pte_t *pte = walk(pt, a, 1);
    if (pte == 0)
      return -1;
    if (*pte & PTE_V)
      panic("mappages: remap");
    // A and D preset: this kernel does not track them, and the hart need not write them.
    *pte = PA2PTE(pa) | perm | PTE_V | PTE_A | PTE_D;
  }
  return 0;
}

void kvminit(void) {
  kernel_pagetable = kalloc();
  if (mappages(kernel_pagetable, KERNBASE, (uint64)_etext - KERNBASE, KERNBASE, PTE_R | PTE_X) < 0 ||
      mappages(kernel_pagetable, (uint64)_etext, PHYSTOP - (uint64)_etext, (uint64)_etext,
               PTE_R | PTE_W) < 0)
    panic("kvminit");
}

// Switch this hart to the kernel's own table (also used once every process has gone).
void kvminithart(void) {
  sfence_vma(); // finish writes to the tables before they are used
  w_satp(MAKE_SATP(kernel_pagetable));
  sfence_vma(); // drop stale translations
}

pagetable_t uvmcreate(void) {
  pagetable_t pt = kalloc();
  if (pt)
    pt[PX(2, KERNBASE)] = kernel_pagetable[PX(2, KERNBASE)];
  return pt;
}

// Frees a user table and every page it maps; the shared kernel entry is not followed.
static void freewalk(pagetable_t pt, int level) {
  for (int i = 0; i < 512; i++) {
    pte_t pte = pt[i];
    if (!(pte & PTE_V) || (level == 2 && i == PX(2, KERNBASE)))
      continue;
    if (pte & (PTE_R | PTE_W | PTE_X))
      kfree((void *)PTE2PA(pte));
    else
      freewalk((pagetable_t)PTE2PA(pte), level - 1);
  }
  kfree(pt);
}

void uvmfree(pagetable_t pt) { freewalk(pt, 2); }

static int in_demand_range(struct proc *p, uint64 va) {
  return (va >= p->bss_lo && va < p->bss_hi) ||
         (va >= USTACK_TOP - USTACK_PAGES * PGSIZE && va < USTACK_TOP);
}

// Maps a zero page at va if va lies in a demand-zero range and nothing is mapped there yet.
// Returns 1 when it did, 0 when the fault is the process's own fault.
int uvmdemand(struct proc *p, uint64 va) {
  if (va >= MAXVA || !in_demand_range(p, va))
    return 0;
  pte_t *pte = walk(p->pagetable, va, 0);
  if (pte && (*pte & PTE_V))
    return 0; // mapped already: a protection fault
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

// Copies len bytes from user address srcva of the current process p. Each page is checked
// (and demand-mapped) first, so the copy itself, done through the user mapping with
// sstatus.SUM set, cannot fault.
int copyin(struct proc *p, char *dst, uint64 srcva, uint64 len) {
  if (srcva + len < srcva || srcva + len > MAXVA)
    return -1;
  for (uint64 va = PGROUNDDOWN(srcva); va < srcva + len; va += PGSIZE) {
    pte_t *pte = walk(p->pagetable, va, 0);
    if (!pte || !(*pte & PTE_V)) {
      if (!uvmdemand(p, va))
        return -1;
      pte = walk(p->pagetable, va, 0);
    }
    if ((*pte & (PTE_U | PTE_R)) != (PTE_U | PTE_R))
      return -1;
  }
  CSR_SET(sstatus, MSTATUS_SUM);
  memcpy(dst, (const void *)srcva, len);
  CSR_CLEAR(sstatus, MSTATUS_SUM);
  return 0;
}
