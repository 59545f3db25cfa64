// Shared helpers of the device tests: a fake hart that records its interrupt lines, and MMIO
// accessors that go through the MmioDevice interface exactly as the memory port does.

import { MmioStatus } from '../src/vcpu/port.js';
import type { MmioDevice } from '../src/vcpu/flat-memory.js';
import type { HartIrqTarget, IrqLine } from '../src/devices/irq.js';

export const MSIP = 3;
export const MTIP = 7;
export const SEIP = 9;
export const MEIP = 11;

/** A hart stand-in: the current level of every mip line and a log of changes. */
export class FakeHart implements HartIrqTarget {
  readonly levels = new Map<number, boolean>();
  readonly log: Array<[number, boolean]> = [];
  setIrq(irq: number, level: boolean): void {
    this.levels.set(irq, level);
    this.log.push([irq, level]);
  }
  level(irq: number): boolean {
    return this.levels.get(irq) ?? false;
  }
}

/** A device-side interrupt line that records its level. */
export class FakeLine implements IrqLine {
  level = false;
  changes = 0;
  setLevel(level: boolean): void {
    this.level = level;
    this.changes++;
  }
}

const out = new Int32Array(2);

/** Load `size` bytes at `off`; the value as an unsigned bigint. Throws on a non-Ok status. */
export function load(dev: MmioDevice, off: number, size = 4): bigint {
  const s = dev.load(off, size, out);
  if (s !== MmioStatus.Ok) throw new Error(`load at 0x${off.toString(16)} size ${size}: status ${s}`);
  const v = (BigInt(out[1]! >>> 0) << 32n) | BigInt(out[0]! >>> 0);
  return BigInt.asUintN(size * 8, v);
}

/** load() as a number, for registers of 32 bits or less. */
export function load32(dev: MmioDevice, off: number, size = 4): number {
  return Number(load(dev, off, size));
}

/** Store the low `size` bytes of `v` at `off`; returns the status. */
export function store(dev: MmioDevice, off: number, v: bigint | number, size = 4): MmioStatus {
  const b = BigInt.asUintN(64, BigInt(v));
  return dev.store(off, size, Number(b & 0xffff_ffffn) | 0, Number(b >> 32n) | 0);
}

/** store() that must succeed. */
export function storeOk(dev: MmioDevice, off: number, v: bigint | number, size = 4): void {
  const s = store(dev, off, v, size);
  if (s !== MmioStatus.Ok) throw new Error(`store at 0x${off.toString(16)} size ${size}: status ${s}`);
}

/** The status of a load (for checking faults). */
export function loadStatus(dev: MmioDevice, off: number, size: number): MmioStatus {
  return dev.load(off, size, out);
}
