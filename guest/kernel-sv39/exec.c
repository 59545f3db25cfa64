// Loads an ELF executable into a fresh address space and builds the Linux initial stack
// (argc, argv[], NULL, envp NULL, auxv AT_NULL), like a kernel's execve.
//
// File-backed pages are copied in now. The part of a segment beyond its file bytes (.bss)
// starts on the first page past them and is left unmapped: uvmdemand() maps it on first touch.
#include "defs.h"
#include "elf.h"

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

static int loadseg(pagetable_t pt, const uint8 *elf, const struct proghdr *ph) {
  uint64 start = PGROUNDDOWN(ph->vaddr), end = PGROUNDUP(ph->vaddr + ph->filesz);
  for (uint64 va = start; va < end; va += PGSIZE) {
    uint8 *page = kalloc();
    if (!page || mappages(pt, va, PGSIZE, (uint64)page, flags_to_perm(ph->flags)) < 0)
      return -1;
    // the file bytes that fall in this page
    uint64 lo = va < ph->vaddr ? ph->vaddr : va;
    uint64 hi = va + PGSIZE < ph->vaddr + ph->filesz ? va + PGSIZE : ph->vaddr + ph->filesz;
    if (lo < hi)
      memcpy(page + (lo - va), elf + ph->off + (lo - ph->vaddr), hi - lo);
  }
  return 0;
}

// Puts argv on the stack page at stack_pa (mapped at USTACK_TOP - PGSIZE); returns the sp.
static uint64 setup_stack(uint8 *stack_pa, const char **argv) {
  uint64 base = USTACK_TOP - PGSIZE;
  uint64 sp = USTACK_TOP;
  uint64 uargv[NARG + 1];
  int argc = 0;
  for (; argv[argc]; argc++) {
    if (argc == NARG)
      panic("exec: too many arguments");
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

int exec(struct proc *p, const uint8 *elf, uint64 size, const char **argv) {
  const struct elfhdr *eh = (const struct elfhdr *)elf;
  if (size < sizeof(*eh) || eh->magic != ELF_MAGIC || eh->class != ELFCLASS64 ||
      eh->machine != EM_RISCV || eh->type != ET_EXEC)
    return -1;
  pagetable_t pt = uvmcreate();
  if (!pt)
    return -1;
  p->pagetable = pt;
  for (int i = 0; i < eh->phnum; i++) {
    const struct proghdr *ph = (const struct proghdr *)(elf + eh->phoff + i * eh->phentsize);
    if (ph->type != PT_LOAD)
      continue;
    if (ph->memsz < ph->filesz || ph->vaddr + ph->memsz < ph->vaddr ||
        ph->vaddr + ph->memsz > USTACK_TOP - USTACK_PAGES * PGSIZE || ph->off + ph->filesz > size)
      return -1;
    if (loadseg(pt, elf, ph) < 0)
      return -1;
    if (ph->memsz > ph->filesz) {
      p->bss_lo = PGROUNDUP(ph->vaddr + ph->filesz);
      p->bss_hi = ph->vaddr + ph->memsz;
    }
  }
  uint8 *stack = kalloc();
  if (!stack || mappages(pt, USTACK_TOP - PGSIZE, PGSIZE, (uint64)stack, PTE_R | PTE_W | PTE_U) < 0)
    return -1;
  memset(p->tf.regs, 0, sizeof(p->tf.regs));
  p->tf.regs[REG_SP] = setup_stack(stack, argv);
  p->tf.epc = eh->entry;
  return 0;
}
