// The flat memory port: one hart, RAM without caches, and device registers at fixed physical
// ranges. Every RAM access is granted at once and whole pages may be cached in the hart's TLB,
// except pages that share a device range (HTIF's tohost lives inside RAM).

import { Access, Grant, MmioStatus, type MemoryPort, type RamView } from './port.js';

export interface MmioDevice {
  readonly base: number;
  readonly size: number;
  /** Read `size` bytes at `offset` into out[0] (low word) and out[1] (high word). */
  load(offset: number, size: number, out: Int32Array): MmioStatus;
  store(offset: number, size: number, lo: number, hi: number): MmioStatus;
}

export interface FlatMemoryOptions {
  base: number;
  size: number;
  /** Back RAM with this buffer (e.g. a SharedArrayBuffer) instead of a fresh one. */
  buffer?: ArrayBufferLike;
}

export class FlatMemory implements MemoryPort {
  readonly exclusiveGrants = false;
  readonly ram: RamView;
  readonly grantShift = 12;
  private readonly devices: MmioDevice[] = [];

  constructor(opts: FlatMemoryOptions) {
    if (!Number.isInteger(opts.size) || opts.size <= 0 || opts.size % 4096 !== 0) {
      throw new RangeError(`RAM size ${opts.size} must be a positive multiple of 4096 bytes`);
    }
    const buffer = opts.buffer ?? new ArrayBuffer(opts.size);
    this.ram = {
      base: opts.base,
      size: opts.size,
      u8: new Uint8Array(buffer, 0, opts.size),
      dv: new DataView(buffer, 0, opts.size),
    };
  }

  addDevice(d: MmioDevice): void {
    for (const o of this.devices) {
      if (d.base < o.base + o.size && o.base < d.base + d.size) {
        throw new RangeError(`device at 0x${d.base.toString(16)} overlaps the one at 0x${o.base.toString(16)}`);
      }
    }
    this.devices.push(d);
  }

  private device(paddr: number, size: number): MmioDevice | undefined {
    for (const d of this.devices) if (paddr >= d.base && paddr + size <= d.base + d.size) return d;
    return undefined;
  }

  access(paddr: number, size: number, _kind: Access): number {
    if (this.devices.length !== 0 && this.device(paddr, size) !== undefined) return Grant.Mmio;
    const off = paddr - this.ram.base;
    if (off >= 0 && off + size <= this.ram.size) return off;
    return Grant.Fault;
  }

  pageGrant(pageRo: number, _kind: Access): boolean {
    const pagePaddr = this.ram.base + pageRo;
    for (const d of this.devices) if (d.base < pagePaddr + 4096 && pagePaddr < d.base + d.size) return false;
    return true;
  }

  mmioLoad(paddr: number, size: number, out: Int32Array): MmioStatus {
    const d = this.device(paddr, size);
    return d === undefined ? MmioStatus.Fault : d.load(paddr - d.base, size, out);
  }

  mmioStore(paddr: number, size: number, lo: number, hi: number): MmioStatus {
    const d = this.device(paddr, size);
    return d === undefined ? MmioStatus.Fault : d.store(paddr - d.base, size, lo, hi);
  }
}
