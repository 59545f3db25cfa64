// A page walk whose lines cannot all be present at once still completes: a walk that stalls on
// a line goes on, when retried, from the level it had reached (mmu.ts). Without that, a cache
// that holds fewer lines than the walk needs (a monitor's shadow walk and the guest walk it fills
// from share an L2 set) brings each line only to lose it before the retry gets there.

import { describe, expect, it } from 'vitest';
import { Hart } from '../src/vcpu/hart.js';
import { Access, Grant, MmioStatus, type MemoryPort, type RamView } from '../src/vcpu/port.js';
import { TranslateFault, translate } from '../src/vcpu/mmu.js';
import { Priv } from '../src/vcpu/trap.js';

const RAM = 0x8000_0000;
const LINE = 128;

/** A cache of one line: a line it does not hold stalls the access and replaces the one it holds. */
class OneLinePort implements MemoryPort {
  readonly grantShift = 7;
  readonly exclusiveGrants = true;
  held = -1;
  misses = 0;
  constructor(readonly ram: RamView) {}
  access(paddr: number, size: number): number {
    const ro = paddr - this.ram.base;
    if (!(ro >= 0 && ro + size <= this.ram.size)) return Grant.Fault;
    const line = Math.floor(ro / LINE);
    if (line === this.held) return ro;
    this.held = line;
    this.misses++;
    return Grant.Stall;
  }
  pageGrant(): boolean { return false; }
  mmioLoad(): MmioStatus { return MmioStatus.Fault; }
  mmioStore(): MmioStatus { return MmioStatus.Fault; }
}

const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_A = 64, PTE_D = 128;

/** Sv39 tables for one 4 KiB page: root at page 1, level 1 at page 2, level 0 at page 3, data at page 8. */
function machine() {
  const size = 1 << 16;
  const u8 = new Uint8Array(size);
  const dv = new DataView(u8.buffer);
  const port = new OneLinePort({ base: RAM, size, u8, dv });
  const hart = new Hart({ port, resetPc: RAM });
  const page = (n: number) => RAM + n * 4096;
  const pte = (at: number, index: number, ppnOf: number, flags: number) => {
    const v = BigInt(Math.floor(ppnOf / 4096)) << 10n | BigInt(flags);
    dv.setBigUint64(at - RAM + index * 8, v, true);
  };
  const va = 0x4020_3000; // VPN[2] 1, VPN[1] 1, VPN[0] 3: each table's first line
  pte(page(1), 1, page(2), PTE_V);
  pte(page(2), 1, page(3), PTE_V);
  pte(page(3), 3, page(8), PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  hart.csr.satpMode = 8;
  hart.csr.satpPpn = page(1) / 4096;
  return { hart, port, va, target: page(8) };
}

describe('a page walk that stalls', () => {
  it('goes on from the level it reached, so it ends even when the cache holds one line', () => {
    const { hart, port, va, target } = machine();
    let tries = 0, pa: number;
    do {
      pa = translate(hart, va, Access.Load, Priv.S);
      tries++;
    } while (pa === TranslateFault.Stall && tries < 100);
    expect(pa).toBe(target);
    // One miss a level, each retried once.
    expect(port.misses).toBe(3);
    expect(tries).toBe(4);
  });

  it('starts from the root again after flushTlb, as after sfence.vma', () => {
    const { hart, port, va, target } = machine();
    expect(translate(hart, va, Access.Load, Priv.S)).toBe(TranslateFault.Stall); // root
    expect(translate(hart, va, Access.Load, Priv.S)).toBe(TranslateFault.Stall); // level 1
    hart.flushTlb();
    // The held line is level 1's: from the root, the walk misses on the root again.
    expect(translate(hart, va, Access.Load, Priv.S)).toBe(TranslateFault.Stall);
    expect(port.misses).toBe(3);
    let pa: number, tries = 0;
    do pa = translate(hart, va, Access.Load, Priv.S); while (pa === TranslateFault.Stall && ++tries < 100);
    expect(pa).toBe(target);
  });
});
