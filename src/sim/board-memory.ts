// The memory port of the virt board: one RAM shared by every hart, plus the device registers.
//
//   0x0010_0000 ..              devices (finisher, CLINT, PLIC, UART, virtio slots) below RAM
//   0x8000_0000 .. + --mem      RAM; HTIF's tohost/fromhost are devices on top of RAM words
//
// Like FlatMemory (src/vcpu/flat-memory.ts) it grants RAM a page at a time, forever, so a hart
// keeps RAM pages in its access filter and loads and stores hit RAM directly. Pages that hold a
// device (HTIF) are never granted, so every access to them comes here.
//
// Several harts (SMP). The board runs the harts one at a time on one thread (virt-board.ts) and
// tells this port which one is running (`current`). Two things must stay exact across harts,
// and both need this port to see the stores that matter:
//
//   decoded instructions   a hart decodes a page's instructions once and keeps them (its decode
//                          cache watches only its own stores). Once any hart fetches from a page
//                          (pageGrant for Fetch), the page is a code page: no hart gets a store
//                          grant for it again (other harts' grants are dropped on the spot), so
//                          every store to it comes through access(), which drops what the other
//                          harts decoded there (Hart.invalidateRam).
//   LR reservations        an LR reserves the 64-byte line of its word (Hart.reservation, a RAM
//                          offset). Before a hart runs, the board calls watchReservations(): the
//                          pages reserved by the other harts lose their store grants in the hart
//                          about to run, so its stores to them come through access(), which
//                          clears every other hart's reservation on the line it writes. A
//                          hart's own stores leave its own reservation alone.
//
// Device DMA (virtio-blk writing guest RAM) and semihosting's writes into guest buffers go
// through ramWritten(), which does the same for every hart. With one hart nothing of this runs:
// the hart's own bookkeeping is enough.
//
// MMIO accesses are counted per device and per hart for the statistics file.
//
// Paged RAM (a monitor's VM, src/monitor/vm-memory.ts). Guest RAM need not be one buffer: with
// `paged`, guest RAM page p lives wherever paged.pageOffset(p) says in machine memory, backed on
// first touch, and every RAM offset this port hands out, takes back or watches (grants, code
// pages, reservations, DMA) is an offset in machine memory, the buffer the harts index. A page
// with a device on it is never granted, in guest terms (devicePage) and in machine terms
// (noGrant, marked when the page is first reached). `guestRam` is guest RAM as the loader and
// DMA see it.

import type { MmioDevice } from '../vcpu/flat-memory.js';
import { Access, Grant, MmioStatus, type MemoryPort, type RamView } from '../vcpu/port.js';
import { hex } from './errors.js';

const PAGE_SHIFT = 12;
const PAGE = 1 << PAGE_SHIFT;
/** Reservation granule: an LR reserves its aligned 64-byte line (one cache line). */
const LINE_MASK = ~63;

export interface BoardDevice {
  /** Name used in statistics and messages ("uart", "virtio0", ...). */
  readonly name: string;
  readonly dev: MmioDevice;
}

/** What this port needs of a hart that shares it: a Hart, or a monitor's virtual CPU. */
export interface SharingHart {
  /** LR reservation: RAM offset of the reserved word, or -1. */
  reservation: number;
  invalidateRam(ramOffset: number, length: number): void;
  dropGrant(spanRo: number, dataMayChange: boolean): void;
}

/** Guest RAM whose pages lie scattered over machine memory (see the header). */
export interface PagedRam {
  /** The buffer every page lives in: the RAM offsets harts use index it. */
  readonly machine: RamView;
  /** RAM offset of guest RAM page `page` (counted from the guest RAM base), backed on first touch. */
  pageOffset(page: number): number;
}

/** Guest RAM as the loader (boot.ts) and DMA (virtio-blk.ts) see it. */
export interface GuestRamView {
  readonly base: number;
  readonly size: number;
  readonly u8: Uint8Array;
  pageOffset?(page: number): number;
}

export interface MemoryStats {
  /** Stores into code pages, times the other harts whose decoded instructions there were dropped. */
  codeStores: number;
  /** LR reservations cleared by another hart's store or by device DMA. */
  reservationBreaks: number;
  /** Bytes devices (DMA) and semihosting wrote into guest RAM. */
  dmaBytes: number;
}

export class BoardMemory implements MemoryPort {
  readonly exclusiveGrants = false;
  readonly ram: RamView;
  readonly grantShift = PAGE_SHIFT;
  /** The hart whose instructions are running now: every store comes from it. */
  current = 0;
  readonly stats: MemoryStats = { codeStores: 0, reservationBreaks: 0, dmaBytes: 0 };
  readonly guestRam: GuestRamView;
  /** Guest RAM: [base, base + size). */
  readonly base: number;
  readonly size: number;

  private readonly devices: BoardDevice[] = [];
  private readonly paged: PagedRam | null;
  /** Guest RAM pages with a device on them (HTIF). */
  private readonly devicePage: Uint8Array;
  /** RAM pages never granted: those with a device on them (devicePage itself without paging). */
  private readonly noGrant: Uint8Array;
  /** RAM pages some hart has fetched instructions from (SMP only). */
  private readonly codePage: Uint8Array;
  private harts: readonly SharingHart[] = [];
  private smp = false;
  /** watched[h]: the RAM page holding hart h's reservation, as of the last switch, or -1. */
  private watched = new Int32Array(0);
  /** MMIO accesses: [device * harts + hart] loads and stores. */
  private mmioLoads = new Float64Array(0);
  private mmioStores = new Float64Array(0);

  constructor(opts: { base: number; size: number; paged?: PagedRam }) {
    if (!Number.isInteger(opts.size) || opts.size <= 0 || opts.size % PAGE !== 0) {
      throw new RangeError(`RAM size ${opts.size} must be a positive multiple of ${PAGE} bytes`);
    }
    this.base = opts.base;
    this.size = opts.size;
    this.paged = opts.paged ?? null;
    this.devicePage = new Uint8Array(opts.size >>> PAGE_SHIFT);
    if (this.paged === null) {
      const buffer = new ArrayBuffer(opts.size);
      this.ram = { base: opts.base, size: opts.size, u8: new Uint8Array(buffer), dv: new DataView(buffer) };
      this.noGrant = this.devicePage;
      this.guestRam = this.ram;
    } else {
      const paged = this.paged;
      this.ram = paged.machine;
      this.noGrant = new Uint8Array(this.ram.size >>> PAGE_SHIFT);
      this.guestRam = { base: opts.base, size: opts.size, u8: this.ram.u8, pageOffset: (p) => paged.pageOffset(p) };
    }
    this.codePage = new Uint8Array(this.ram.size >>> PAGE_SHIFT);
  }

  /** Registers a device; `name` defaults to its base address. Devices may not overlap. */
  addDevice(dev: MmioDevice, name = hex(dev.base)): void {
    for (const o of this.devices) {
      if (dev.base < o.dev.base + o.dev.size && o.dev.base < dev.base + dev.size) {
        throw new RangeError(`device ${name} at ${hex(dev.base)} overlaps ${o.name} at ${hex(o.dev.base)}`);
      }
    }
    this.devices.push({ name, dev });
    for (let a = Math.max(dev.base, this.base); a < Math.min(dev.base + dev.size, this.base + this.size); a = Math.floor(a / PAGE) * PAGE + PAGE) {
      this.devicePage[(a - this.base) >>> PAGE_SHIFT] = 1;
    }
  }

  /** The harts sharing this memory, in hart-id order; call once, after every device is added. */
  attachHarts(harts: readonly SharingHart[]): void {
    this.harts = harts;
    this.smp = harts.length > 1;
    this.watched = new Int32Array(harts.length).fill(-1);
    this.mmioLoads = new Float64Array(this.devices.length * harts.length);
    this.mmioStores = new Float64Array(this.devices.length * harts.length);
  }

  /**
   * Hart `h` is about to run: make every reservation another hart holds visible to its stores
   * (see the header).
   */
  watchReservations(h: number): void {
    this.current = h;
    if (!this.smp) return;
    const me = this.harts[h]!;
    for (let x = 0; x < this.harts.length; x++) {
      const r = this.harts[x]!.reservation;
      const page = x === h || r < 0 ? -1 : r >>> PAGE_SHIFT;
      this.watched[x] = page;
      if (page >= 0) me.dropGrant(page << PAGE_SHIFT, false);
    }
  }

  access(paddr: number, size: number, kind: Access): number {
    const off = paddr - this.base;
    if (off >= 0 && off + size <= this.size) {
      const page = off >>> PAGE_SHIFT;
      if (this.devicePage[page] !== 0 && this.deviceIndex(paddr, size) >= 0) return Grant.Mmio;
      let ro = off;
      if (this.paged !== null) {
        ro = this.paged.pageOffset(page) + (off & (PAGE - 1));
        if (this.devicePage[page] !== 0) this.noGrant[ro >>> PAGE_SHIFT] = 1;
      }
      if (kind === Access.Store && this.smp) this.stored(ro, size);
      return ro;
    }
    return this.deviceIndex(paddr, size) >= 0 ? Grant.Mmio : Grant.Fault;
  }

  /**
   * RAM offset of the page at guest physical address `paddr` when it is RAM without a device on
   * it (a page a monitor may map for its harts), else -1.
   */
  plainRamPage(paddr: number): number {
    const off = paddr - this.base;
    if (!(off >= 0 && off < this.size)) return -1;
    const page = off >>> PAGE_SHIFT;
    if (this.devicePage[page] !== 0) return -1;
    return this.paged !== null ? this.paged.pageOffset(page) : page * PAGE;
  }

  /**
   * A store by the current hart to RAM [ro, ro + size) that reached RAM without access(): a
   * monitor's real hart, which addresses machine memory (src/monitor/machine-port.ts).
   */
  storing(ro: number, size: number): void {
    if (this.smp) this.stored(ro, size);
  }

  pageGrant(off: number, kind: Access): boolean {
    if (off < 0 || off >= this.ram.size) return false;
    const page = off >>> PAGE_SHIFT;
    if (this.noGrant[page] !== 0) return false;
    if (!this.smp) return true;
    if (kind === Access.Fetch) {
      if (this.codePage[page] === 0) {
        this.codePage[page] = 1;
        for (let x = 0; x < this.harts.length; x++) if (x !== this.current) this.harts[x]!.dropGrant(off, false);
      }
      return true;
    }
    if (kind === Access.Store) {
      if (this.codePage[page] !== 0) return false;
      const w = this.watched;
      for (let x = 0; x < w.length; x++) if (w[x] === page) return false;
    }
    return true;
  }

  mmioLoad(paddr: number, size: number, out: Int32Array): MmioStatus {
    const i = this.deviceIndex(paddr, size);
    if (i < 0) return MmioStatus.Fault;
    this.mmioLoads[i * this.harts.length + this.current]++;
    const d = this.devices[i]!.dev;
    return d.load(paddr - d.base, size, out);
  }

  mmioStore(paddr: number, size: number, lo: number, hi: number): MmioStatus {
    const i = this.deviceIndex(paddr, size);
    if (i < 0) return MmioStatus.Fault;
    this.mmioStores[i * this.harts.length + this.current]++;
    const d = this.devices[i]!.dev;
    return d.store(paddr - d.base, size, lo, hi);
  }

  /** A device (DMA) or semihosting wrote guest RAM [ramOffset, +length): keep every hart's view exact. */
  ramWritten(ramOffset: number, length: number): void {
    this.stats.dmaBytes += length;
    for (const h of this.harts) {
      h.invalidateRam(ramOffset, length);
      const r = h.reservation;
      if (r >= 0 && (r & LINE_MASK) < ramOffset + length && ramOffset < (r & LINE_MASK) + 64) {
        h.reservation = -1;
        this.stats.reservationBreaks++;
      }
    }
  }

  /** Device names and MMIO access counts, per hart. */
  mmioStats(): Record<string, { loads: number[]; stores: number[] }> {
    const n = this.harts.length;
    const out: Record<string, { loads: number[]; stores: number[] }> = {};
    this.devices.forEach((d, i) => {
      out[d.name] = {
        loads: Array.from(this.mmioLoads.subarray(i * n, i * n + n)),
        stores: Array.from(this.mmioStores.subarray(i * n, i * n + n)),
      };
    });
    return out;
  }

  /** A store by the current hart to RAM [off, off + size), seen before it is written. */
  private stored(off: number, size: number): void {
    const page = off >>> PAGE_SHIFT;
    const harts = this.harts;
    if (this.codePage[page] !== 0) {
      for (let x = 0; x < harts.length; x++) {
        if (x === this.current) continue;
        harts[x]!.invalidateRam(off, size);
        this.stats.codeStores++;
      }
    }
    const w = this.watched;
    for (let x = 0; x < w.length; x++) {
      if (w[x] !== page) continue;
      const h = harts[x]!;
      const line = h.reservation & LINE_MASK;
      if (h.reservation >= 0 && line < off + size && off < line + 64) {
        h.reservation = -1;
        this.stats.reservationBreaks++;
      }
    }
  }

  private deviceIndex(paddr: number, size: number): number {
    const ds = this.devices;
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i]!.dev;
      if (paddr >= d.base && paddr + size <= d.base + d.size) return i;
    }
    return -1;
  }
}
