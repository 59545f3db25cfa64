// PLIC: the platform-level interrupt controller of the QEMU `virt` board, after QEMU
// hw/intc/sifive_plic.c (96 sources including the absent source 0, 3 priority bits, one M-mode
// and one S-mode context per hart).
//
//   offset                     register                  meaning
//   0x00_0000 + 4*s            priority[s]               s = 1..95; 0..7 (writes keep bits 2:0);
//                                                        priority 0 never interrupts
//   0x00_1000 + 4*w            pending[w]                bit s%32 of word s/32; read-only
//   0x00_2000 + 0x80*c + 4*w   enable[c][w]              sources enabled for context c
//   0x20_0000 + 0x1000*c       threshold[c]              0..7; only priority > threshold interrupts
//   0x20_0004 + 0x1000*c       claim/complete[c]         read: claim; write: complete
//   (contexts c = 2*hart are M-mode (MEIP), c = 2*hart + 1 are S-mode (SEIP); everything else in
//   the window reads 0 and ignores writes)
//
// Only naturally aligned 32-bit accesses are valid (anything else is an access fault), as QEMU.
//
// Gateway and core, as QEMU models them. A source's level comes from its device through
// setSourceLevel (or line(s).setLevel). While the level is high and the source is not claimed,
// the source is pending; lowering the level before a claim withdraws the request (QEMU clears
// pending on a low level). A claim returns the pending, enabled source of highest priority above
// the context's threshold (ties go to the lowest id), clears its pending bit and marks it
// claimed; 0 when there is none. While claimed the source is not re-pended, whatever its level.
// A complete of a claimed source (id < 96; QEMU does not check the enables) ends the claim; if
// the level is still high the source is pending again at once, which is what level-triggered
// devices need.
//
// A context's interrupt line (MEIP or SEIP of its hart) is high while some pending, enabled,
// unclaimed source has priority above its threshold. Lines are recomputed after every change
// and set on the hart only when they change.
//
// How the board wires it:
//   const plic = new Plic({ harts });                 // harts[h].setIrq(MEI | SEI, level)
//   mem.addDevice(plic);
//   new Uart16550({ irq: plic.line(UART_IRQ), ... }); new VirtioBlk({ irq: plic.line(1 + k), ... })

import { MmioStatus } from '../vcpu/port.js';
import type { MmioDevice } from '../vcpu/flat-memory.js';
import { Irq } from '../vcpu/trap.js';
import type { HartIrqTarget, IrqLine } from './irq.js';

export const PLIC_BASE = 0x0c00_0000;
export const PLIC_SIZE = 0x400_0000;
/** Sources including source 0 (VIRT_IRQCHIP_NUM_SOURCES); riscv,ndev is one less. */
export const PLIC_NUM_SOURCES = 96;
export const PLIC_PRIORITY_MAX = 7;
export const PLIC_PRIORITY = 0x0;
export const PLIC_PENDING = 0x1000;
export const PLIC_ENABLE = 0x2000;
export const PLIC_ENABLE_STRIDE = 0x80;
export const PLIC_CONTEXT = 0x20_0000;
export const PLIC_CONTEXT_STRIDE = 0x1000;
/** Most harts whose contexts fit the 0x400_0000 window: (0x400_0000 - 0x20_0000) / 0x2000. */
export const PLIC_MAX_HARTS = 7936;

const WORDS = PLIC_NUM_SOURCES / 32;

export interface PlicOptions {
  /** Hart h owns contexts 2h (MEIP) and 2h + 1 (SEIP). */
  harts: readonly HartIrqTarget[];
  base?: number;
}

export class Plic implements MmioDevice {
  readonly base: number;
  readonly size = PLIC_SIZE;
  readonly contexts: number;

  private readonly harts: readonly HartIrqTarget[];
  private readonly priority = new Uint8Array(PLIC_NUM_SOURCES);
  private readonly level = new Uint32Array(WORDS);
  private readonly pending = new Uint32Array(WORDS);
  private readonly claimed = new Uint32Array(WORDS);
  /** enable[c * WORDS + w] */
  private readonly enable: Uint32Array;
  private readonly threshold: Uint8Array;
  /** Last level given to each context's hart line (-1: never given). */
  private readonly out: Int8Array;

  constructor(opts: PlicOptions) {
    if (opts.harts.length < 1 || opts.harts.length > PLIC_MAX_HARTS) {
      throw new RangeError(`PLIC hart count ${opts.harts.length} must be 1..${PLIC_MAX_HARTS}`);
    }
    this.base = opts.base ?? PLIC_BASE;
    this.harts = opts.harts;
    this.contexts = 2 * opts.harts.length;
    this.enable = new Uint32Array(this.contexts * WORDS);
    this.threshold = new Uint8Array(this.contexts);
    this.out = new Int8Array(this.contexts).fill(-1);
    this.update();
  }

  /** The wire from a device to source `src` (1..95). */
  line(src: number): IrqLine {
    this.checkSource(src);
    return { setLevel: (level) => this.setSourceLevel(src, level) };
  }

  /** A device raised or lowered source `src` (1..95). */
  setSourceLevel(src: number, level: boolean): void {
    this.checkSource(src);
    const w = src >>> 5;
    const bit = 1 << (src & 31);
    if (level) {
      this.level[w]! |= bit;
      if ((this.claimed[w]! & bit) === 0) this.pending[w]! |= bit;
    } else {
      this.level[w]! &= ~bit;
      this.pending[w]! &= ~bit;
    }
    this.update();
  }

  isPending(src: number): boolean {
    return ((this.pending[src >>> 5]! >>> (src & 31)) & 1) !== 0;
  }

  /** Recompute every context's line. */
  private update(): void {
    for (let c = 0; c < this.contexts; c++) {
      const on = this.best(c) !== 0;
      const v = on ? 1 : 0;
      if (this.out[c] === v) continue;
      this.out[c] = v;
      this.harts[c >>> 1]!.setIrq(c & 1 ? Irq.SEI : Irq.MEI, on);
    }
  }

  /** The source context c would claim now, or 0. */
  private best(c: number): number {
    let maxPrio = this.threshold[c]!;
    let maxSrc = 0;
    for (let w = 0; w < WORDS; w++) {
      let bits = this.pending[w]! & ~this.claimed[w]! & this.enable[c * WORDS + w]!;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const src = w * 32 + b;
        const p = this.priority[src]!;
        if (p > maxPrio) {
          maxPrio = p;
          maxSrc = src;
        }
      }
    }
    return maxSrc;
  }

  private claim(c: number): number {
    const src = this.best(c);
    if (src !== 0) {
      const w = src >>> 5;
      const bit = 1 << (src & 31);
      this.pending[w]! &= ~bit;
      this.claimed[w]! |= bit;
    }
    this.update();
    return src;
  }

  private complete(src: number): void {
    if (src >= PLIC_NUM_SOURCES) return;
    const w = src >>> 5;
    const bit = 1 << (src & 31);
    if ((this.claimed[w]! & bit) === 0) return;
    this.claimed[w]! &= ~bit;
    if (this.level[w]! & bit) this.pending[w]! |= bit;
    this.update();
  }

  load(off: number, size: number, out: Int32Array): MmioStatus {
    if (size !== 4 || (off & 3) !== 0 || off < 0 || off >= PLIC_SIZE) return MmioStatus.Fault;
    out[0] = this.read(off);
    out[1] = 0;
    return MmioStatus.Ok;
  }

  store(off: number, size: number, lo: number, _hi: number): MmioStatus {
    if (size !== 4 || (off & 3) !== 0 || off < 0 || off >= PLIC_SIZE) return MmioStatus.Fault;
    this.write(off, lo >>> 0);
    return MmioStatus.Ok;
  }

  private read(off: number): number {
    if (off < PLIC_PENDING) {
      const src = off >>> 2;
      return src < PLIC_NUM_SOURCES ? this.priority[src]! : 0;
    }
    if (off < PLIC_ENABLE) {
      const w = (off - PLIC_PENDING) >>> 2;
      return w < WORDS ? this.pending[w]! | 0 : 0;
    }
    if (off < PLIC_CONTEXT) {
      const c = Math.floor((off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE);
      const w = ((off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE) >>> 2;
      return c < this.contexts && w < WORDS ? this.enable[c * WORDS + w]! | 0 : 0;
    }
    const c = Math.floor((off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE);
    if (c >= this.contexts) return 0;
    const reg = (off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE;
    if (reg === 0) return this.threshold[c]!;
    if (reg === 4) return this.claim(c);
    return 0;
  }

  private write(off: number, v: number): void {
    if (off < PLIC_PENDING) {
      const src = off >>> 2;
      if (src === 0 || src >= PLIC_NUM_SOURCES) return;
      this.priority[src] = v & PLIC_PRIORITY_MAX;
      this.update();
      return;
    }
    if (off < PLIC_ENABLE) return; // pending bits are read-only
    if (off < PLIC_CONTEXT) {
      const c = Math.floor((off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE);
      const w = ((off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE) >>> 2;
      if (c >= this.contexts || w >= WORDS) return;
      this.enable[c * WORDS + w] = w === 0 ? v & ~1 : v; // source 0 does not exist
      this.update();
      return;
    }
    const c = Math.floor((off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE);
    if (c >= this.contexts) return;
    const reg = (off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE;
    if (reg === 0) {
      this.threshold[c] = v & PLIC_PRIORITY_MAX;
      this.update();
    } else if (reg === 4) {
      this.complete(v);
    }
  }

  private checkSource(src: number): void {
    if (!Number.isInteger(src) || src < 1 || src >= PLIC_NUM_SOURCES) {
      throw new RangeError(`PLIC source ${src} must be 1..${PLIC_NUM_SOURCES - 1}`);
    }
  }
}
