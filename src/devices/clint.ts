// CLINT: the core-local interruptor of the QEMU `virt` board (SiFive CLINT / ACLINT MSWI+MTIMER
// layout), after QEMU hw/intc/riscv_aclint.c and Spike riscv/clint.cc.
//
//   offset              register            access   meaning
//   0x0000 + 4*h        msip[h]             32       bit 0 drives hart h's MSIP; other bits read 0
//   0x4000 + 8*h        mtimecmp[h]         32/64    hart h's MTIP = (mtime >= mtimecmp[h]), unsigned
//   0xBFF8              mtime               32/64    ticks of the timebase since reset
//   (size 0x10000; registers of harts that do not exist read 0 and ignore writes, as QEMU)
//
// Accesses must be naturally aligned; msip takes only 32-bit accesses and the timer registers
// 32- or 64-bit ones (a 32-bit access reads or writes one half). Anything else is an access
// fault, as QEMU's memory-region constraints make it.
//
// Time. mtime is not a counter we tick: it is a function of simulated time,
//   mtime = floor(cycles * timebaseHz / cpuHz) + offset,
// where `cycles` comes from the board's `now()` and `offset` changes only when software writes
// mtime. The ratio is reduced once, so the result is exact for any cycle count below 2^53 and
// never depends on host time (DESIGN.md invariant 7). mtime and mtimecmp values are kept as JS
// numbers; mtimecmp values of 2^53 and above (software's usual "never" is all ones) still
// compare correctly with any reachable mtime.
//
// Reset as QEMU and Spike: mtime 0, every mtimecmp 0, so MTIP is pending until software sets
// mtimecmp (OpenSBI does so before enabling MTIE).
//
// How the board wires it:
//   const clint = new Clint({ harts, now: () => cycles, cpuHz: 1e9 });   // harts[h].setIrq
//   mem.addDevice(clint);
//   for (const h of harts) h.timeSource = () => clint.mtime();            // the `time` CSR
//   each slice:  budget <= clint.nextTimerCycle() - now;  run;  clint.update();
//   hart in wfi: hart.idleUntilCycle(min(clint.nextTimerCycle(h), ...other device events));
//                clint.update()
// update() must run whenever simulated time has advanced (after every slice); register accesses
// update the interrupt lines by themselves.

import { MmioStatus } from '../vcpu/port.js';
import type { MmioDevice } from '../vcpu/flat-memory.js';
import { Irq } from '../vcpu/trap.js';
import type { HartIrqTarget } from './irq.js';

export const CLINT_BASE = 0x0200_0000;
export const CLINT_SIZE = 0x1_0000;
export const CLINT_MSIP = 0x0000;
export const CLINT_MTIMECMP = 0x4000;
export const CLINT_MTIME = 0xbff8;
/** QEMU virt's timebase (RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ). */
export const DEFAULT_TIMEBASE_HZ = 10_000_000;

const TWO32 = 4294967296;

export interface ClintOptions {
  /** Hart h's interrupt lines are harts[h]; the array length is the number of harts. */
  harts: readonly HartIrqTarget[];
  /** Current simulated time in CPU cycles. */
  now: () => number;
  /** CPU clock: cycles per simulated second. */
  cpuHz: number;
  /** mtime ticks per simulated second (default 10 MHz, as QEMU virt). */
  timebaseHz?: number;
  base?: number;
  /** Called after every store the CLINT took: a timer may have moved (the board reschedules). */
  onStore?: (off: number) => void;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class Clint implements MmioDevice {
  readonly base: number;
  readonly size = CLINT_SIZE;
  readonly timebaseHz: number;
  readonly cpuHz: number;

  private readonly harts: readonly HartIrqTarget[];
  private readonly now: () => number;
  private readonly onStore: ((off: number) => void) | undefined;
  /** timebaseHz / cpuHz as the reduced fraction num / den. */
  private readonly num: number;
  private readonly den: number;
  private readonly msip: Uint8Array;
  /** mtimecmp halves as unsigned 32-bit values, and the whole as a number for comparisons. */
  private readonly cmpLo: Float64Array;
  private readonly cmpHi: Float64Array;
  private readonly cmp: Float64Array;
  /** Last MTIP level given to each hart (-1: never given). */
  private readonly mtip: Int8Array;
  /** mtime - ticks(now()); changed by software writes to mtime. */
  private offset = 0;

  constructor(opts: ClintOptions) {
    const tb = opts.timebaseHz ?? DEFAULT_TIMEBASE_HZ;
    for (const [name, v] of [['cpuHz', opts.cpuHz], ['timebaseHz', tb]] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`CLINT ${name} ${v} must be a positive integer`);
    }
    if (opts.harts.length < 1 || opts.harts.length > 4095) {
      throw new RangeError(`CLINT hart count ${opts.harts.length} must be 1..4095`);
    }
    this.base = opts.base ?? CLINT_BASE;
    this.harts = opts.harts;
    this.now = opts.now;
    this.onStore = opts.onStore;
    this.cpuHz = opts.cpuHz;
    this.timebaseHz = tb;
    const g = gcd(tb, opts.cpuHz);
    this.num = tb / g;
    this.den = opts.cpuHz / g;
    const n = opts.harts.length;
    this.msip = new Uint8Array(n);
    this.cmpLo = new Float64Array(n);
    this.cmpHi = new Float64Array(n);
    this.cmp = new Float64Array(n);
    this.mtip = new Int8Array(n).fill(-1);
    this.update();
  }

  get hartCount(): number {
    return this.harts.length;
  }

  /** Timebase ticks after `cycles` cycles: floor(cycles * num / den), exact below 2^53. */
  ticksAt(cycles: number): number {
    const q = Math.floor(cycles / this.den);
    const r = cycles - q * this.den;
    return q * this.num + Math.floor((r * this.num) / this.den);
  }

  /** The first cycle at which ticksAt(cycle) >= ticks (the inverse of ticksAt). */
  cycleAtTicks(ticks: number): number {
    if (ticks <= 0) return 0;
    const a = Math.floor(ticks / this.num);
    const b = ticks - a * this.num;
    return a * this.den + Math.ceil((b * this.den) / this.num);
  }

  /** mtime minus the ticks of the simulated time: 0 until software writes mtime. */
  get mtimeOffset(): number {
    return this.offset;
  }

  /** Current mtime (the harts' `time` CSR). */
  mtime(): number {
    return this.ticksAt(this.now()) + this.offset;
  }

  /**
   * The cycle at which the next timer interrupt becomes pending: of hart `hart` only, or of any
   * hart when omitted; always later than now(). Harts whose mtimecmp mtime has already reached
   * are skipped (their MTIP is high, or becomes so at the next update()). Infinity when no
   * mtimecmp is within reach (below 2^53).
   */
  nextTimerCycle(hart?: number): number {
    const mtime = this.mtime();
    let best = Infinity;
    const first = hart ?? 0;
    const last = hart ?? this.harts.length - 1;
    for (let h = first; h <= last; h++) {
      const c = this.cmp[h]!;
      if (c <= mtime || c >= 2 ** 53) continue;
      const cyc = this.cycleAtTime(c);
      if (cyc < best) best = cyc;
    }
    return best;
  }

  /** The first cycle at which mtime >= t (for Sstc's stimecmp too); Infinity if never. */
  cycleAtTime(t: number): number {
    if (t >= 2 ** 53) return Infinity;
    return this.cycleAtTicks(t - this.offset);
  }

  /** Recompute every hart's MTIP from the current time; call after simulated time advances. */
  update(): void {
    const mtime = this.mtime();
    for (let h = 0; h < this.harts.length; h++) this.setMtip(h, mtime >= this.cmp[h]!);
  }

  private setMtip(h: number, on: boolean): void {
    const v = on ? 1 : 0;
    if (this.mtip[h] === v) return;
    this.mtip[h] = v;
    this.harts[h]!.setIrq(Irq.MTI, on);
  }

  load(off: number, size: number, out: Int32Array): MmioStatus {
    if (!this.validAccess(off, size)) return MmioStatus.Fault;
    out[0] = 0;
    out[1] = 0;
    if (off < CLINT_MTIMECMP) {
      const h = off >>> 2;
      if (h < this.harts.length) out[0] = this.msip[h]!;
      return MmioStatus.Ok;
    }
    if (off >= CLINT_MTIME + 8) return MmioStatus.Ok;
    let lo: number;
    let hi: number;
    if (off >= CLINT_MTIME) {
      const t = this.mtime();
      hi = Math.floor(t / TWO32);
      lo = t - hi * TWO32;
    } else {
      const h = (off - CLINT_MTIMECMP) >>> 3;
      if (h >= this.harts.length) return MmioStatus.Ok;
      lo = this.cmpLo[h]!;
      hi = this.cmpHi[h]!;
    }
    if (size === 8) {
      out[0] = lo | 0;
      out[1] = hi | 0;
    } else {
      out[0] = (off & 4 ? hi : lo) | 0;
    }
    return MmioStatus.Ok;
  }

  store(off: number, size: number, lo: number, hi: number): MmioStatus {
    const st = this.write(off, size, lo, hi);
    if (st === MmioStatus.Ok) this.onStore?.(off);
    return st;
  }

  private write(off: number, size: number, lo: number, hi: number): MmioStatus {
    if (!this.validAccess(off, size)) return MmioStatus.Fault;
    if (off < CLINT_MTIMECMP) {
      const h = off >>> 2;
      if (h < this.harts.length) this.setMsip(h, (lo & 1) !== 0);
      return MmioStatus.Ok;
    }
    if (off >= CLINT_MTIME + 8) return MmioStatus.Ok;
    if (off >= CLINT_MTIME) {
      const t = this.mtime();
      const [newLo, newHi] = this.merge(off, size, lo, hi, t % TWO32, Math.floor(t / TWO32));
      this.offset = newHi * TWO32 + newLo - this.ticksAt(this.now());
      this.update();
      return MmioStatus.Ok;
    }
    const h = (off - CLINT_MTIMECMP) >>> 3;
    if (h >= this.harts.length) return MmioStatus.Ok;
    const [newLo, newHi] = this.merge(off, size, lo, hi, this.cmpLo[h]!, this.cmpHi[h]!);
    this.cmpLo[h] = newLo;
    this.cmpHi[h] = newHi;
    this.cmp[h] = newHi * TWO32 + newLo;
    this.setMtip(h, this.mtime() >= this.cmp[h]!);
    return MmioStatus.Ok;
  }

  private setMsip(h: number, on: boolean): void {
    this.msip[h] = on ? 1 : 0;
    this.harts[h]!.setIrq(Irq.MSI, on);
  }

  /** The 64-bit register after a 32- or 64-bit store, as unsigned halves. */
  private merge(off: number, size: number, lo: number, hi: number, oldLo: number, oldHi: number): [number, number] {
    if (size === 8) return [lo >>> 0, hi >>> 0];
    return off & 4 ? [oldLo, lo >>> 0] : [lo >>> 0, oldHi];
  }

  private validAccess(off: number, size: number): boolean {
    if (off < 0 || off + size > CLINT_SIZE || (off & (size - 1)) !== 0) return false;
    if (off < CLINT_MTIMECMP) return size === 4;
    return size === 4 || size === 8;
  }
}
