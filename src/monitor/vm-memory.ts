// A VM's guest-physical memory.
//
// VmMemory is its RAM: guest page p lives in machine page pmap[p], backed on first touch. The
// VM's memory port is the board's own (src/sim/board-memory.ts) over this paged RAM: RAM through
// the pmap, the VM's virtual devices at their `virt` addresses, the boot loader and device DMA
// through the pmap too (BoardMemory.guestRam). GuestMemory is what the monitor uses of that port.
//
// A virtual hart reaches the port through a VirtualPort, which never grants anything for its
// access filter (the virtual hart runs one instruction at a time, so it keeps nothing between
// steps that the guest could change under it: decoded instructions, translations, grants) and
// tells the vCPU's real hart about every store, so that the real hart drops what it decoded
// there.

import { Access, type AtomicPort, type MemoryPort, type MmioStatus, type RamView } from '../vcpu/port.js';
import type { Hart } from '../vcpu/hart.js';
import { PAGE, type GrantKeeper, type MachineMemory } from './machine-memory.js';
import type { Memmap } from './memmap.js';
import { Pmap } from './pmap.js';

export class VmMemory {
  readonly machine: RamView;
  readonly pmap: Pmap;

  constructor(readonly vm: number, private readonly mem: MachineMemory, private readonly memmap: Memmap, bytes: number) {
    this.machine = mem.ram;
    this.pmap = new Pmap(bytes / PAGE, (gpp) => {
      const mp = mem.allocVmPage();
      memmap.assign(mp, vm, gpp);
      return mp;
    });
  }

  /** Gives every backed page back to machine memory (the VM is gone); no shadow leaf may map one. */
  release(): void {
    const pages = this.pmap.machinePage;
    for (let gpp = 0; gpp < pages.length; gpp++) {
      const mp = pages[gpp]!;
      if (mp < 0) continue;
      this.memmap.assign(mp, -1, -1);
      this.mem.freeVmPage(mp);
      pages[gpp] = -1;
    }
    this.pmap.backed = 0;
  }

  /** RAM offset (in machine memory) of guest RAM page `page`, backed on first touch. */
  pageOffset(page: number): number {
    return this.pmap.backing(page) * PAGE;
  }
}

/** plainRamPage: the page is RAM, but its pmap entry is not known here yet (FLASH: it was asked for). */
export const PAGE_PENDING = -2;

/** What a vCPU needs of its VM's memory: a virtual hart's port, and plain RAM for shadow leaves. */
export interface GuestPort extends MemoryPort {
  /**
   * RAM offset (in machine memory) of the page at guest physical `paddr` when it is RAM without
   * a device, PAGE_PENDING while its pmap entry is on its way, else -1.
   */
  plainRamPage(paddr: number): number;
  /** The page at guest physical `paddr` may be read but not written (a NUMA replica's, FLASH). */
  readOnly?(paddr: number): boolean;
  /**
   * Asks for the page at `paddr` to be made writable (its replicas collapsed): PAGE_PENDING
   * while that is under way (the CPU stalls), else its RAM offset.
   */
  makeWritable?(paddr: number): number;
}

/** What the monitor uses of a VM's memory port on the flat board (src/sim/board-memory.ts). */
export interface GuestMemory extends GuestPort, GrantKeeper {}

/** A virtual hart's port: the VM's memory port, no grants, stores reported (see the header). */
export class VirtualPort implements MemoryPort {
  readonly exclusiveGrants = false;
  readonly grantShift = 12;
  readonly ram: RamView;
  readonly atomics?: AtomicPort;
  /** The vCPU's real hart (set once both harts exist). */
  real: Hart | null = null;

  constructor(private readonly guest: GuestPort) {
    this.ram = guest.ram;
    this.atomics = guest.atomics;
  }

  access(paddr: number, size: number, kind: Access): number {
    const ro = this.guest.access(paddr, size, kind);
    if (ro >= 0 && kind === Access.Store) this.real!.storedRam(ro, size);
    return ro;
  }

  pageGrant(): boolean {
    return false;
  }

  mmioLoad(paddr: number, size: number, out: Int32Array): MmioStatus {
    return this.guest.mmioLoad(paddr, size, out);
  }

  mmioStore(paddr: number, size: number, lo: number, hi: number): MmioStatus {
    return this.guest.mmioStore(paddr, size, lo, hi);
  }
}
