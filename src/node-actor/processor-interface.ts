// The hart's memory port on a FLASH node: MAGIC's processor interface.
//
// A RAM access goes to the node's caches: an L1 hit is free, an L1 miss that hits the L2 costs
// the L2 latency, and an L2 miss sends a request into the protocol and answers Stall; the hart
// re-executes the instruction once the node wakes it (invariant 4). Lines the L1 holds are
// granted to the hart's access filter until the caches take them back (dropLine).
//
// Device registers live on node 0, the I/O node: an access anywhere is an uncached message to
// node 0 and a stall, and the re-executed instruction picks up the answer.

import { Access, Grant, MmioStatus, type AtomicPort, type MemoryPort, type RamView } from '../vcpu/port.js';
import { ACCESS_STALL, ACCESS_STALL_ANY, type CacheController } from '../directory/cache-controller.js';
import type { Hart } from '../vcpu/hart.js';

export interface DeviceRange {
  base: number;
  size: number;
}

/** What the processor interface needs from its node. */
export interface PiHost {
  /** The hart stalls: on `line`, on any line settling (-1), or on the uncached access (-2). */
  stallOn(line: number): void;
  uncached(load: boolean, paddr: number, size: number, lo: number, hi: number): void;
}

/** Whether [paddr, paddr + size) overlaps one of the device ranges. */
export function overlapsDevice(devices: readonly DeviceRange[], paddr: number, size: number): boolean {
  for (const d of devices) if (paddr < d.base + d.size && d.base < paddr + size) return true;
  return false;
}

export const WAIT_ANY = -1;
export const WAIT_UNCACHED = -2;
/** dmaLine: no room for the access in this quantum (the quantum mode's buffer or log); ask at the next. */
export const DMA_NEXT_QUANTUM = -3;

const enum Unc { Idle, Pending, Done }

export class ProcessorInterface implements MemoryPort {
  readonly exclusiveGrants: boolean = true;
  readonly grantShift: number;
  /** None: the hart performs atomics on the line its caches hold (the quantum mode's port has them). */
  readonly atomics?: AtomicPort;
  hart: Hart | null = null;
  protected readonly lineShift: number;
  private unc = Unc.Idle;
  /** NaN until the first uncached access: a double from the start (see Hart.mmioPaddr). */
  private uncAddr = NaN;
  private uncSize = 0;
  private uncLo = 0;
  private uncHi = 0;
  private uncStatus = MmioStatus.Ok;
  uncachedAccesses = 0;

  constructor(
    readonly ram: RamView,
    protected readonly cache: CacheController,
    protected readonly devices: readonly DeviceRange[],
    lineBytes: number,
    protected readonly host: PiHost,
  ) {
    this.lineShift = Math.log2(lineBytes);
    this.grantShift = this.lineShift;
  }

  access(paddr: number, size: number, kind: Access): number {
    const ro = this.locate(paddr, size);
    if (ro < 0) return ro;
    const r = this.lookUp(ro, kind);
    return r < 0 ? r : ro;
  }

  /** The RAM offset of `size` bytes at `paddr`, or Grant.Mmio (a device's) or Grant.Fault. */
  protected locate(paddr: number, size: number): number {
    if (this.devices.length !== 0 && overlapsDevice(this.devices, paddr, size)) return Grant.Mmio;
    const ro = paddr - this.ram.base;
    return ro >= 0 && ro + size <= this.ram.size ? ro : Grant.Fault;
  }

  /**
   * The caches for a `kind` access to the line at RAM offset ro: 0 once they hold it (its
   * latency charged to the hart), or Grant.Stall with what the hart waits for told to the node.
   */
  protected lookUp(ro: number, kind: Access): number {
    const line = ro >>> this.lineShift;
    const r = this.cache.access(line, kind);
    if (r >= 0) {
      if (r > 0) this.hart!.extraCycles += r;
      return 0;
    }
    this.host.stallOn(r === ACCESS_STALL ? line : r === ACCESS_STALL_ANY ? WAIT_ANY : line);
    return Grant.Stall;
  }

  /**
   * A DMA engine's access to `len` bytes at RAM offset ro, within one line (devices/dma.ts):
   * once the caches hold the line, the RAM offset at which to make it (nothing is charged to
   * the hart); else the cache's stall code (ACCESS_STALL, ACCESS_STALL_ANY) or DMA_NEXT_QUANTUM.
   */
  dmaLine(ro: number, len: number, write: boolean): number {
    const r = this.cache.access(ro >>> this.lineShift, write ? Access.Store : Access.Load);
    return r < 0 ? r : ro;
  }

  pageGrant(spanRo: number, kind: Access): boolean {
    if (this.devices.length !== 0 && overlapsDevice(this.devices, this.ram.base + spanRo, 1 << this.grantShift)) return false;
    return this.cache.l1Holds(spanRo >>> this.lineShift, kind);
  }

  mmioLoad(paddr: number, size: number, out: Int32Array): MmioStatus {
    return this.uncachedAccess(true, paddr, size, 0, 0, out);
  }

  mmioStore(paddr: number, size: number, lo: number, hi: number): MmioStatus {
    return this.uncachedAccess(false, paddr, size, lo, hi, null);
  }

  private uncachedAccess(load: boolean, paddr: number, size: number, lo: number, hi: number, out: Int32Array | null): MmioStatus {
    if (this.unc === Unc.Done && this.uncAddr === paddr && this.uncSize === size) {
      this.unc = Unc.Idle;
      this.hart!.interruptsHeld = false;
      if (out !== null) { out[0] = this.uncLo; out[1] = this.uncHi; }
      return this.uncStatus;
    }
    if (this.unc === Unc.Idle) {
      this.unc = Unc.Pending;
      this.uncAddr = paddr;
      this.uncSize = size;
      this.uncachedAccesses++;
      this.host.uncached(load, paddr, size, lo, hi);
    }
    this.host.stallOn(WAIT_UNCACHED);
    return MmioStatus.Stall;
  }

  /**
   * The instruction whose uncached access was answered will not be retried (its vCPU was
   * stopped while it waited): the next access is a new one.
   */
  cancelUncached(): void {
    if (this.unc === Unc.Idle) return;
    this.unc = Unc.Idle;
    this.hart!.interruptsHeld = false;
  }

  /** The I/O node answered: value (for loads) and how the device took it. */
  uncachedDone(lo: number, hi: number, status: MmioStatus): void {
    this.unc = Unc.Done;
    // The device has done it: the instruction retires before the hart takes an interrupt.
    this.hart!.interruptsHeld = true;
    this.uncLo = lo;
    this.uncHi = hi;
    this.uncStatus = status;
  }
}
