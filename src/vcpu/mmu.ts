// Sv39 address translation (privileged specification 1.12, section 4.4).
//
//   virtual address:  | 63..39 = bit 38 | VPN[2] 38..30 | VPN[1] 29..21 | VPN[0] 20..12 | offset 11..0 |
//   PTE:              | 63..54 reserved | PPN 53..10 | RSW 9..8 | D A G U X W R V |
//
// Page-table entries are read and updated through the memory port like any other access, so a
// walk can stall on a line that is not present (invariant 4). It goes on where it stalled when
// the access is retried, from the table it had reached (a one-entry walk cache, as the
// specification allows for non-leaf entries until sfence.vma; flushTlb forgets it): restarting
// from the top would need every level's line present at once, and when more lines than an L2
// set has ways take turns (a monitor's shadow walk and the guest walk it fills from), each
// retry would evict the line the last one brought, for ever. A and D are set by the walker,
// which needs the PTE's line writable; that is asked for only once the access has passed every
// permission check, so a faulting access changes nothing.

import type { Hart } from './hart.js';
import { Access, Grant } from './port.js';
import { Priv } from './trap.js';
import { MSTATUS } from './csr.js';

export const enum TranslateFault {
  Page = -1,
  Access = -2,
  Stall = -3,
}

const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;
const TWO38 = 274877906944;
const TWO39 = 549755813888;

/** Accesses at privilege `p` use physical addresses: satp is Bare, or `p` is M. */
export function untranslated(h: Hart, p: Priv): boolean {
  return h.csr.satpMode !== 8 || p === Priv.M;
}

/**
 * Translate virtual address `va` (a signed number) for an access of `kind` at privilege `p`.
 * Returns the physical address, or a TranslateFault.
 */
export function translate(h: Hart, va: number, kind: Access, p: Priv): number {
  const c = h.csr;
  if (untranslated(h, p)) return va < 0 ? TranslateFault.Access : va;
  if (va < -TWO38 || va >= TWO38) return TranslateFault.Page;
  const v = va < 0 ? va + TWO39 : va;
  const port = h.port;
  const dv = h.dv;
  const root = c.satpPpn * 4096;
  let table = root, level = 2;
  if (h.walkLevel >= 0 && h.walkRoot === root && h.walkPrefix === Math.floor(v / 2 ** (21 + 9 * h.walkLevel))) {
    level = h.walkLevel;
    table = h.walkTable;
    h.walkLevel = -1;
  }
  for (; level >= 0; level--) {
    const shift = 12 + 9 * level;
    const vpn = Math.floor(v / 2 ** shift) & 511;
    const pteAddr = table + vpn * 8;
    const g = port.access(pteAddr, 8, Access.Load);
    if (g < 0) return g === Grant.Stall ? stalled(h, level, root, table, v) : TranslateFault.Access;
    const lo = dv.getInt32(g, true), hi = dv.getInt32(g + 4, true);
    if ((lo & PTE_V) === 0 || ((lo & PTE_R) === 0 && (lo & PTE_W) !== 0)) return TranslateFault.Page;
    if ((hi >>> 22) !== 0) return TranslateFault.Page;
    const ppn = (hi & 0x3fffff) * 4194304 + (lo >>> 10);
    if ((lo & (PTE_R | PTE_X)) === 0) {
      table = ppn * 4096;
      continue;
    }
    if (!leafAllows(lo, kind, p, c.mstatus)) return TranslateFault.Page;
    const span = 2 ** (9 * level);
    if (ppn % span !== 0) return TranslateFault.Page;
    const need = PTE_A | (kind === Access.Store ? PTE_D : 0);
    if ((lo & need) !== need) {
      // A and D are in the low word, and only it is stored: a port that buffers stores by the
      // byte (the quantum mode's) must not write back the high word as it was read.
      const gw = port.access(pteAddr, 4, Access.Store);
      if (gw < 0) return gw === Grant.Stall ? stalled(h, level, root, table, v) : TranslateFault.Access;
      dv.setInt32(gw, lo | need, true);
      h.storedRam(gw, 4);
    }
    h.leafPte = lo | need;
    h.leafLevel = level;
    return ppn * 4096 + (v % (span * 4096));
  }
  return TranslateFault.Page;
}

/** The walk stalled at `level` in `table`: the retry goes on from there. */
function stalled(h: Hart, level: number, root: number, table: number, v: number): TranslateFault {
  h.walkLevel = level;
  h.walkRoot = root;
  h.walkTable = table;
  h.walkPrefix = Math.floor(v / 2 ** (21 + 9 * level));
  return TranslateFault.Stall;
}

function leafAllows(pte: number, kind: Access, p: Priv, mstatus: number): boolean {
  const user = (pte & PTE_U) !== 0;
  if (kind === Access.Fetch) {
    if ((pte & PTE_X) === 0) return false;
    return p === Priv.U ? user : !user;
  }
  if (p === Priv.U ? !user : user && (mstatus & MSTATUS.SUM) === 0) return false;
  if (kind === Access.Store) return (pte & PTE_W) !== 0;
  return (pte & PTE_R) !== 0 || ((mstatus & MSTATUS.MXR) !== 0 && (pte & PTE_X) !== 0);
}
