// A one-instruction-at-a-time driver for the FP tests: a hart on flat memory in M-mode with
// mstatus.FS = initial, each instruction written at a fresh address and run alone. A trap goes
// to mtvec, a `j .` there, and is reported by cause (mcause), with mtval.

import { FlatMemory } from '../src/vcpu/flat-memory.js';
import { Hart } from '../src/vcpu/hart.js';

export const BASE = 0x8000_0000;
/** Data area the tests load and store (RAM offset), beyond the code area. */
export const DATA = 0x8_0000;
const SPIN = 0xf_f000;
const CODE_END = 0x7_0000;

/** fflags bits. */
export const NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16;

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** binary64 bits of x. */
export function d(x: number): bigint { f64[0] = x; return u64[0]!; }
/** binary32 bits of x (x rounded to binary32 first). */
export function s(x: number): number { f32[0] = x; return u32[0]!; }
export function dNum(b: bigint): number { u64[0] = b; return f64[0]!; }

export class FpTester {
  readonly mem: FlatMemory;
  readonly h: Hart;
  private next = 0;
  lastTval = 0n;

  constructor(fsOn = true) {
    this.mem = new FlatMemory({ base: BASE, size: 1 << 20 });
    this.h = new Hart({ port: this.mem, hartId: 0, resetPc: BASE });
    this.mem.ram.dv.setUint32(SPIN, 0x0000006f, true); // j .
    this.h.csr.mtvecLo = BASE + SPIN;
    if (fsOn) this.h.csr.mstatus |= 1 << 13;
  }

  /** Run one instruction (4 or 2 bytes); the trap cause it took, or null. */
  exec(word: number, size: 2 | 4 = 4): number | null {
    if (this.next + 8 > CODE_END) { this.next = 0; this.h.flushDecodeCache(); }
    const dv = this.mem.ram.dv;
    if (size === 4) dv.setUint32(this.next, word >>> 0, true); else dv.setUint16(this.next, word, true);
    this.h.pc = BASE + this.next;
    this.next += 4;
    this.h.csr.mcauseLo = -1;
    this.h.run(1);
    if (this.h.csr.mcauseLo === -1) return null;
    this.lastTval = BigInt.asUintN(64, (BigInt(this.h.csr.mtvalHi) << 32n) | BigInt(this.h.csr.mtvalLo >>> 0));
    return this.h.csr.mcauseLo;
  }

  /** Run and expect no trap. */
  ok(word: number, size: 2 | 4 = 4): void {
    const t = this.exec(word, size);
    if (t !== null) throw new Error(`instruction 0x${(word >>> 0).toString(16)} trapped with cause ${t}`);
  }

  setD(r: number, bits: bigint): void {
    this.h.fl[r] = Number(BigInt.asIntN(32, bits));
    this.h.fh[r] = Number(BigInt.asIntN(32, bits >> 32n));
  }

  getD(r: number): bigint {
    return BigInt.asUintN(64, (BigInt(this.h.fh[r]!) << 32n) | BigInt(this.h.fl[r]! >>> 0));
  }

  /** A NaN-boxed single. */
  setS(r: number, bits: number): void {
    this.h.fl[r] = bits | 0;
    this.h.fh[r] = -1;
  }

  /** The low word of f[r], after checking that it is NaN-boxed. */
  getS(r: number): number {
    if (this.h.fh[r] !== -1) throw new Error(`f${r} is not NaN-boxed: 0x${this.getD(r).toString(16)}`);
    return this.h.fl[r]! >>> 0;
  }

  setX(r: number, v: bigint | number): void { this.h.setX(r, v); }
  getX(r: number): bigint { return this.h.getX(r); }

  /** Take the accrued flags and clear them. */
  flags(): number {
    const f = this.h.fflags;
    this.h.fflags = 0;
    return f;
  }
}
