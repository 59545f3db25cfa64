// Shadow Sv39 page tables: guest-virtual -> machine, walked by the real hart's own MMU.
//
// One tree per (VM, guest address space, virtual mode). The address space is the guest's satp
// (ASID and root PPN); the mode is how the guest's permissions read for the virtual privilege
// the vCPU is in:
//
//   mode   for                                      a guest leaf gives
//   bare   virtual M, or S/U with satp Bare         (no guest table: guest-physical identity) R W X
//   U      virtual U                                its permissions if U is set, else nothing
//   S      virtual S, SUM off                       its permissions unless U is set
//   S+SUM  virtual S, SUM on                        R W of U pages too, never their X
//   +MXR   (U, S, S+SUM with mstatus.MXR)           R also where X is set
//
// The real hart runs in U-mode, so every shadow leaf has U set, and A and D too (the real MMU
// must never write a shadow entry). A leaf has W only once the guest's D is set, so the guest's
// first store to a clean page faults and the fill sets D as hardware would. Leaves are 4 KiB:
// a guest superpage is shadowed page by page, and its tree is marked, so that a fence of one
// address drops the whole tree (the fence covers all of the superpage, the leaf only a page).
//
// Trees live in the monitor's reserve of machine memory (ShadowReserve). Each has a real ASID of
// its own, so switching between trees needs no flush on hardware that keeps ASIDs; the hart here
// flushes its translation cache on every satp write anyway. A tree that the guest fences is
// dropped whole, its pages zeroed and returned to the reserve. Each VM has a partition of the
// reserve of its own: when it runs out every tree of that VM is dropped, and no other VM's
// tables are touched. Each drop bumps `generation`, which tells the virtual CPUs to look up
// their tree again and flush their real hart's translations.
//
// Isolation (DESIGN.md invariant 8): fill() maps only VM pages, which the caller takes from the
// VM's pmap; nothing ever maps the reserve.

import { MACHINE_PPN0, PAGE, type MachineMemory } from './machine-memory.js';

/** Where a monitor's reserve lies: machine pages [vmPages, pages) of `ram` (a flat board's machine memory, or a FLASH node's slice). */
export type ReserveArea = Pick<MachineMemory, 'ram' | 'vmPages' | 'pages'>;
import type { Memmap } from './memmap.js';

export const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;

export const SHADOW_BARE = 0, SHADOW_U = 1, SHADOW_S = 2, SHADOW_S_SUM = 3, SHADOW_MXR = 4;
const MODE_NAMES = ['bare', 'U', 'S', 'S+SUM', 'bare', 'U+MXR', 'S+MXR', 'S+SUM+MXR'];

export function shadowModeName(mode: number): string {
  return MODE_NAMES[mode] ?? `mode-${mode}`;
}

const TWO39 = 549755813888;
/** Root PPNs beyond this cannot be guest RAM; they share one key (their walks all fail). */
const PPN_KEY_LIMIT = 2 ** 32 - 1;

/** R, W and X of the shadow leaf for a guest leaf `pte` (low word) read in shadow `mode`. */
export function shadowPerms(pte: number, mode: number): number {
  if (mode === SHADOW_BARE) return PTE_R | PTE_W | PTE_X;
  const base = mode & 3;
  const user = (pte & PTE_U) !== 0;
  let x = (pte & PTE_X) !== 0;
  let r = (pte & PTE_R) !== 0 || ((mode & SHADOW_MXR) !== 0 && x);
  let w = (pte & PTE_W) !== 0 && (pte & PTE_D) !== 0;
  if (base === SHADOW_U) {
    if (!user) return 0;
  } else if (user) {
    x = false;
    if (base !== SHADOW_S_SUM) r = w = false;
  }
  return (r ? PTE_R : 0) | (w && r ? PTE_W : 0) | (x ? PTE_X : 0);
}

export interface ShadowTree {
  readonly key: number;
  readonly mode: number;
  /** Machine page of the root table. */
  readonly root: number;
  /** The real hart's ASID while it walks this tree. */
  readonly asid: number;
  /** The guest address space's ASID (0 for bare). */
  readonly guestAsid: number;
  /** Holds leaves shadowing a guest superpage. */
  superpages: boolean;
  leaves: number;
}

/** Reserve pages in use, all partitions together, and the most ever in use at once. */
export interface ReserveUsage {
  inUse: number;
  peak: number;
}

/**
 * One partition of the monitor's reserve (each VM has its own, so that no VM can take the pages
 * another one's shadow tables need): pages handed out for shadow tables, zeroed when returned.
 */
export class ShadowReserve {
  /** The first page of the whole reserve (machine memory past the VM pages): slots count from it. */
  readonly base: number;
  /** The page past the whole reserve. */
  readonly end: number;
  readonly first: number;
  readonly count: number;
  inUse = 0;
  peak = 0;
  private readonly free: Int32Array;
  private top: number;

  /** Pages [first, first + count) of the reserve; `usage` counts every partition's pages together. */
  constructor(private readonly mem: ReserveArea, first = mem.vmPages, count = mem.pages - mem.vmPages, private readonly usage: ReserveUsage = { inUse: 0, peak: 0 }) {
    if (first < mem.vmPages || count < 1 || first + count > mem.pages) {
      throw new RangeError(`reserve partition [${first}, ${first + count}) is not inside the reserve [${mem.vmPages}, ${mem.pages})`);
    }
    this.base = mem.vmPages;
    this.end = mem.pages;
    this.first = first;
    this.count = count;
    this.free = new Int32Array(this.count);
    // Handed out from the lowest page up.
    for (let i = 0; i < this.count; i++) this.free[i] = this.first + this.count - 1 - i;
    this.top = this.count;
  }

  /** A zeroed reserve page, or -1 when none is left. */
  alloc(): number {
    if (this.top === 0) return -1;
    this.inUse++;
    if (this.inUse > this.peak) this.peak = this.inUse;
    const u = this.usage;
    u.inUse++;
    if (u.inUse > u.peak) u.peak = u.inUse;
    return this.free[--this.top]!;
  }

  release(mp: number): void {
    this.mem.ram.u8.fill(0, mp * PAGE, mp * PAGE + PAGE);
    this.free[this.top++] = mp;
    this.inUse--;
    this.usage.inUse--;
  }

  /** Machine page mp is one of the reserve's, this partition's or another's. */
  holds(mp: number): boolean {
    return mp >= this.base && mp < this.end;
  }

  /** The memmap slot of the shadow entry at machine offset `off` in the reserve. */
  slot(off: number): number {
    return (off - this.base * PAGE) / 8;
  }

  /** The machine offset of the shadow entry in memmap slot `slot`. */
  slotOffset(slot: number): number {
    return this.base * PAGE + slot * 8;
  }
}

export interface ShadowStats {
  treesMade: number;
  treesDropped: number;
  leavesFilled: number;
  leavesDropped: number;
  /** Times the reserve ran out and every tree was dropped. */
  reserveFlushes: number;
}

/** The shadow trees of one VM. */
export class ShadowTables {
  /** Bumped whenever a tree or a leaf is dropped (see the header). */
  generation = 0;
  readonly stats: ShadowStats = { treesMade: 0, treesDropped: 0, leavesFilled: 0, leavesDropped: 0, reserveFlushes: 0 };
  private readonly trees = new Map<number, ShadowTree>();
  private readonly dv: DataView;
  private realAsids = 0;

  constructor(mem: ReserveArea, private readonly reserve: ShadowReserve, private readonly memmap: Memmap) {
    this.dv = mem.ram.dv;
  }

  /** The key of the tree for `mode` in the guest address space (asid, root ppn); bare ignores both. */
  static key(mode: number, asid: number, ppn: number): number {
    if (mode === SHADOW_BARE) return 0;
    return ((Math.min(ppn, PPN_KEY_LIMIT) * 65536) + asid) * 8 + mode;
  }

  get count(): number {
    return this.trees.size;
  }

  /** The tree for `key`, made (empty) if there is none; null when the reserve has no page for it. */
  tree(key: number, mode: number, guestAsid: number): ShadowTree | null {
    const t = this.trees.get(key);
    if (t !== undefined) return t;
    const root = this.reserve.alloc();
    if (root < 0) return null;
    const made: ShadowTree = { key, mode, root, asid: 1 + (this.realAsids++ % 65535), guestAsid, superpages: false, leaves: 0 };
    this.trees.set(key, made);
    this.stats.treesMade++;
    return made;
  }

  /**
   * Maps the page of guest-virtual `va` to VM page `mp` with permissions `perms` (R, W, X) in
   * `tree`. False when the reserve has no page for a table on the way.
   */
  fill(tree: ShadowTree, va: number, mp: number, perms: number, superpage: boolean): boolean {
    if (mp < 0 || this.reserve.holds(mp)) throw new Error(`shadow fill of machine page ${mp}, which is no VM page`);
    const v = va < 0 ? va + TWO39 : va;
    const dv = this.dv;
    let table = tree.root;
    for (let level = 2; level > 0; level--) {
      const off = table * PAGE + (Math.floor(v / 2 ** (12 + 9 * level)) & 511) * 8;
      let lo = dv.getInt32(off, true);
      if ((lo & PTE_V) === 0) {
        const t = this.reserve.alloc();
        if (t < 0) return false;
        lo = ((MACHINE_PPN0 + t) * 1024) | PTE_V;
        dv.setInt32(off, lo, true);
      }
      table = (lo >>> 10) - MACHINE_PPN0;
    }
    const off = table * PAGE + (Math.floor(v / PAGE) & 511) * 8;
    const slot = this.reserve.slot(off);
    if ((dv.getInt32(off, true) & PTE_V) !== 0) this.memmap.unlink(slot);
    else tree.leaves++;
    dv.setInt32(off, ((MACHINE_PPN0 + mp) * 1024) | perms | PTE_V | PTE_U | PTE_A | PTE_D, true);
    this.memmap.link(mp, slot);
    if (superpage) tree.superpages = true;
    this.stats.leavesFilled++;
    return true;
  }

  /** The shadow leaf (low word) for `va` in `tree`, or 0 when there is none. */
  leaf(tree: ShadowTree, va: number): number {
    const off = this.leafOffset(tree, va);
    return off < 0 ? 0 : this.dv.getInt32(off, true);
  }

  /**
   * A guest sfence.vma: drops what it covers in every tree but the bare one (which depends on
   * no guest table): the leaf of `va` (null: every address) in the trees of guest ASID `asid`
   * (null: every ASID). Returns the trees and leaves dropped.
   */
  fence(va: number | null, asid: number | null): number {
    let n = 0;
    for (const t of [...this.trees.values()]) {
      if (t.mode === SHADOW_BARE || (asid !== null && t.guestAsid !== asid)) continue;
      if (va === null || t.superpages) {
        this.drop(t);
        n++;
      } else if (this.dropLeaf(t, va)) {
        n++;
      }
    }
    if (n > 0) this.generation++;
    return n;
  }

  /** Drops every tree and gives its pages back (the VM is gone: it rebooted). */
  release(): void {
    for (const t of [...this.trees.values()]) this.drop(t);
  }

  /** Drops every tree (the reserve ran out); returns how many. */
  dropAll(): number {
    const n = this.trees.size;
    for (const t of [...this.trees.values()]) this.drop(t);
    this.stats.reserveFlushes++;
    this.generation++;
    return n;
  }

  /**
   * Shoots down machine page mp: drops every shadow leaf that maps it, in every tree (what
   * migration and replication do before they move a page). Returns how many.
   */
  shootDown(mp: number): number {
    const slots = this.memmap.leaves(mp);
    for (const s of slots) {
      this.dv.setInt32(this.reserve.slotOffset(s), 0, true);
      this.memmap.unlink(s);
      this.stats.leavesDropped++;
    }
    // The trees' leaf counts are kept for statistics only; a shoot-down does not know the trees.
    if (slots.length > 0) this.generation++;
    return slots.length;
  }

  private leafOffset(tree: ShadowTree, va: number): number {
    const v = va < 0 ? va + TWO39 : va;
    let table = tree.root;
    for (let level = 2; level > 0; level--) {
      const lo = this.dv.getInt32(table * PAGE + (Math.floor(v / 2 ** (12 + 9 * level)) & 511) * 8, true);
      if ((lo & PTE_V) === 0) return -1;
      table = (lo >>> 10) - MACHINE_PPN0;
    }
    return table * PAGE + (Math.floor(v / PAGE) & 511) * 8;
  }

  private dropLeaf(tree: ShadowTree, va: number): boolean {
    const off = this.leafOffset(tree, va);
    if (off < 0 || (this.dv.getInt32(off, true) & PTE_V) === 0) return false;
    this.dv.setInt32(off, 0, true);
    this.memmap.unlink(this.reserve.slot(off));
    tree.leaves--;
    this.stats.leavesDropped++;
    return true;
  }

  private drop(tree: ShadowTree): void {
    const dv = this.dv;
    const root = tree.root;
    for (let i = 0; i < 512; i++) {
      const l1 = this.child(root, i);
      if (l1 < 0) continue;
      for (let j = 0; j < 512; j++) {
        const l0 = this.child(l1, j);
        if (l0 < 0) continue;
        for (let k = 0; k < 512; k++) {
          const off = l0 * PAGE + k * 8;
          if ((dv.getInt32(off, true) & PTE_V) === 0) continue;
          this.memmap.unlink(this.reserve.slot(off));
          this.stats.leavesDropped++;
        }
        this.reserve.release(l0);
      }
      this.reserve.release(l1);
    }
    this.reserve.release(root);
    this.trees.delete(tree.key);
    this.stats.treesDropped++;
  }

  /** The table that entry i of table `page` points to, or -1. */
  private child(page: number, i: number): number {
    const lo = this.dv.getInt32(page * PAGE + i * 8, true);
    return (lo & PTE_V) === 0 ? -1 : (lo >>> 10) - MACHINE_PPN0;
  }
}
