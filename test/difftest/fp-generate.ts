// Seeded random F/D instruction sequences for the differential test against qemu-riscv64.
//
// A program is a static RV64GC Linux ELF made of `seqs` independent sequences followed by
// exit(0). Each sequence:
//
//   prologue   s0 = &pool[i]; fcsr = pool word (a valid frm, random fflags); fld f0..f31 and
//              ld x1..x31 (but s0) from the pool; s0 = SCRATCH
//   body       `insnsPerSeq` random items: fadd/fsub/fmul/fdiv/fsqrt, the four fused multiply-adds,
//              sign injection, fmin/fmax, feq/flt/fle, fclass, every fcvt (to and from w, wu, l,
//              lu, and s <-> d), fmv.x.w/w.x/x.d/d.x, flw/fld/fsw/fsd (misaligned too), c.fld,
//              c.fsd, c.fldsp, c.fsdsp, and reads and writes of fflags, frm and fcsr; both
//              precisions, every static rounding mode and dyn
//   epilogue   fsd f0..f31, sd x1..x31 and fcsr to DUMP (= SCRATCH - 512); write(1, DUMP, 768)
//
// so stdout is `seqs` records of RECORD_BYTES:
//
//   +0    f0..f31, 8 bytes each (a single is NaN-boxed in its register, so all 8 bytes count)
//   +256  x1..x31 (x8 = s0 holds SCRATCH)
//   +504  fcsr
//   +512  the 256-byte scratch buffer after the body
//
// Register use: single-precision items mostly use f0..f15 and double ones f16..f31, with some
// crossing over, so that NaN boxing (a double read as a single is the canonical NaN) is tested
// without turning most single operands into NaNs. The pool's f values are biased towards the
// edges: zeros, infinities, quiet and signalling NaNs with payloads, subnormals, the normal
// boundary, the largest finite values, ties, and integer-conversion limits; singles are
// sometimes improperly boxed. s0 (x8) is never written by a body item; sp is, by the c.*sp items.

import * as E from './encode.js';
import * as F from './fp-encode.js';
import { writeElf, PF_R, PF_W, PF_X } from './elf-writer.js';
import { Rng } from './rng.js';

export const FP_TEXT_BASE = 0x10000;
export const RECORD_BYTES = 768;
const SCRATCH_SIZE = 256;
const DUMP_IN_PAGE = 0x100;
const POOL_OFF = 0x1000;
const POOL_ENTRY = 512;
const S0 = 8, SP = 2;
const A0 = 10, A1 = 11, A2 = 12, A7 = 17;

export interface FpGenOptions {
  seqs?: number;
  insnsPerSeq?: number;
}

export interface FpInsn {
  word: number;
  size: 2 | 4;
  mnemonic: string;
  text: string;
}

export interface FpSequence {
  index: number;
  startPc: number;
  endPc: number;
  /** Initial f0..f31, x1..x31 (the s0 slot holds SCRATCH) and fcsr. */
  initF: bigint[];
  initX: bigint[];
  initFcsr: number;
  listing: string[];
}

export interface FpProgram {
  seed: number;
  elf: Uint8Array;
  scratchAddr: number;
  sequences: FpSequence[];
  expectedStdoutBytes: number;
  mnemonics: Map<string, number>;
}

// ---- Values -------------------------------------------------------------------------------------

const BOX = 0xffffffff_00000000n;

const SINGLES: readonly number[] = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc00001, 0x7fa5a5a5,
  0x7f800001, 0xff800001, 0x7fbfffff, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000,
  0x80800000, 0x00800001, 0x00400000, 0x7f7fffff, 0xff7fffff, 0x7f7ffffe, 0x3f800000, 0xbf800000,
  0x3f000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x3f7fffff, 0x3f800001, 0x3eaaaaab, 0x40490fdb,
  0x4f000000, 0xcf000000, 0x4effffff, 0x4f800000, 0x4f7fffff, 0x5f000000, 0xdf000000, 0x5f800000,
  0x5effffff, 0x3f400000, 0xbf400000, 0x3e800000, 0x34000000, 0x33800000, 0x4b800000, 0x4b800001,
  0x0c800000, 0x1f800000, 0x60000000, 0x7e800000,
];

const DOUBLES: readonly bigint[] = [
  0x0000000000000000n, 0x8000000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n,
  0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff800000000beefn, 0x7ff0000000000001n,
  0x7ff4000000000000n, 0xfff0000000000123n, 0x0000000000000001n, 0x8000000000000001n,
  0x000fffffffffffffn, 0x0010000000000000n, 0x8010000000000000n, 0x0010000000000001n,
  0x0008000000000000n, 0x7fefffffffffffffn, 0xffefffffffffffffn, 0x7feffffffffffffen,
  0x3ff0000000000000n, 0xbff0000000000000n, 0x3fe0000000000000n, 0x3ff8000000000000n,
  0x4004000000000000n, 0xc004000000000000n, 0x3fefffffffffffffn, 0x3ff0000000000001n,
  0x3fd5555555555555n, 0x400921fb54442d18n, 0x41dfffffffc00000n, 0x41dfffffffe00000n,
  0xc1e0000000000000n, 0xc1e0000000100000n, 0x41efffffffe00000n, 0x41f0000000000000n,
  0x43e0000000000000n, 0xc3e0000000000000n, 0x43dfffffffffffffn, 0x43f0000000000000n,
  0x43efffffffffffffn, 0x4340000000000000n, 0x4340000000000001n, 0x3fe8000000000000n,
  0xbfe8000000000000n, 0x3ca0000000000000n, 0x3cb0000000000000n, 0x47efffffe0000000n,
  0x47efffffefffffffn, 0x47efffff00000000n, 0x3810000000000000n, 0x380fffffffffffffn,
  0x380ffffff0000000n, 0x380ffffff8000000n, 0x36a0000000000000n, 0x3690000000000000n,
  0x7fe0000000000000n, 0x0350000000000000n, 0x2000000000000000n, 0x5ff0000000000000n,
];

const INTS: readonly bigint[] = [
  0n, 1n, 2n, 3n, 7n, -1n, -2n, -7n, 0x7fffffffn, 0x80000000n, 0xffffffffn, -0x80000000n, -0x80000001n,
  0x1000001n, -0x1000001n, 0x20000000000001n, -0x20000000000001n, 0x7fffffffffffffffn, -0x8000000000000000n,
  0x100000000n, 0xffffffffffffffffn, 0x1234567812345678n, 0x8000000000000001n, 0xfffffffff0000000n,
];

function randomSingle(rng: Rng): number {
  switch (rng.below(6)) {
    case 0: case 1: return rng.pick(SINGLES);
    case 2: return rng.u32();
    case 3: { // a modest value near 1: realistic arithmetic, ties and cancellation
      const e = rng.range(124, 130);
      return (((rng.below(2) << 31) | (e << 23) | (rng.u32() & 0x7fffff)) >>> 0);
    }
    case 4: { // a short significand: exact results and ties
      const e = rng.range(100, 160);
      return (((rng.below(2) << 31) | (e << 23) | ((rng.below(16) << 19))) >>> 0);
    }
    default: { // a value one or two ulps from an interesting one
      const v = rng.pick(SINGLES);
      return (v + rng.range(-2, 2)) >>> 0;
    }
  }
}

function randomDouble(rng: Rng): bigint {
  switch (rng.below(6)) {
    case 0: case 1: return rng.pick(DOUBLES);
    case 2: return rng.u64();
    case 3: {
      const e = BigInt(rng.range(1019, 1027));
      return (BigInt(rng.below(2)) << 63n) | (e << 52n) | (rng.u64() & 0xfffffffffffffn);
    }
    case 4: {
      const e = BigInt(rng.range(900, 1150));
      return (BigInt(rng.below(2)) << 63n) | (e << 52n) | (BigInt(rng.below(256)) << 44n);
    }
    default: return BigInt.asUintN(64, rng.pick(DOUBLES) + BigInt(rng.range(-2, 2)));
  }
}

function randomInt(rng: Rng): bigint {
  switch (rng.below(5)) {
    case 0: case 1: return BigInt.asUintN(64, rng.pick(INTS));
    case 2: return BigInt.asUintN(64, BigInt(rng.range(-1000, 1000)));
    case 3: return BigInt.asUintN(64, BigInt(rng.u32() | 0));
    default: return rng.u64();
  }
}

/** Initial value of f[r]: mostly singles in f0..f15, doubles in f16..f31. */
function randomF(rng: Rng, r: number): bigint {
  const k = rng.below(20);
  if (k === 0) return (BigInt(rng.u32()) << 32n) | BigInt(randomSingle(rng)); // improperly boxed
  const single = r < 16 ? k > 2 : k <= 2;
  return single ? BOX | BigInt(randomSingle(rng)) : randomDouble(rng);
}

// ---- Body items ---------------------------------------------------------------------------------

const ITEM_WEIGHTS = {
  arith: 16, sqrt: 3, fma: 12, sgnj: 4, minmax: 4, cmp: 5, fclass: 2, toInt: 7, fromInt: 5,
  cvt: 4, fmv: 3, mem: 6, cmem: 3, csr: 3,
} as const;

const ARITH = ['fadd', 'fsub', 'fmul', 'fdiv'];
const FMA = Object.keys(F.FMA_OPS);
const SGNJ = ['fsgnj', 'fsgnjn', 'fsgnjx'];
const CMP = ['feq', 'flt', 'fle'];
const TO_INT = ['fcvt.w', 'fcvt.wu', 'fcvt.l', 'fcvt.lu'];
const FROM_INT = ['fcvt.from.w', 'fcvt.from.wu', 'fcvt.from.l', 'fcvt.from.lu'];

function i4(word: number, mnemonic: string, text: string): FpInsn {
  return { word, size: 4, mnemonic, text };
}

function c2(word: number, mnemonic: string, text: string): FpInsn {
  return { word, size: 2, mnemonic, text };
}

/** The mnemonic an fpOp row has in a listing (its first word). */
const mnemonicOf = (text: string) => text.split(' ')[0]!;

class FpBodyGen {
  private recentF: number[] = [];
  private recentX: number[] = [];

  constructor(private readonly rng: Rng) {}

  private noteF(r: number): void {
    this.recentF.push(r);
    if (this.recentF.length > 4) this.recentF.shift();
  }

  private noteX(r: number): void {
    if (r === 0) return;
    this.recentX.push(r);
    if (this.recentX.length > 4) this.recentX.shift();
  }

  /** An f source: often a recent result, else mostly from the precision's half. */
  private fs(d: boolean): number {
    const rng = this.rng;
    if (this.recentF.length > 0 && rng.chance(0.35)) return rng.pick(this.recentF);
    if (rng.chance(0.15)) return rng.below(32);
    return (d ? 16 : 0) + rng.below(16);
  }

  private fd(d: boolean): number {
    const r = this.rng.chance(0.1) ? this.rng.below(32) : (d ? 16 : 0) + this.rng.below(16);
    this.noteF(r);
    return r;
  }

  private xs(): number {
    const rng = this.rng;
    if (this.recentX.length > 0 && rng.chance(0.3)) return rng.pick(this.recentX);
    if (rng.chance(0.04)) return 0;
    return rng.range(1, 31);
  }

  private xd(): number {
    let r: number;
    if (this.rng.chance(0.04)) r = 0; else do r = this.rng.range(1, 31); while (r === S0);
    this.noteX(r);
    return r;
  }

  /** A rounding-mode field: dyn often, else any static mode. */
  private rm(): number {
    return this.rng.chance(0.4) ? F.RM.dyn : this.rng.below(5);
  }

  private op(name: string, d: boolean, rd: number, rs1: number, rs2: number, rm: number): FpInsn {
    const text = F.fpOpText(name, d, rd, rs1, rs2, rm);
    return i4(F.fpOp(name, d, rd, rs1, rs2, rm), mnemonicOf(text), text);
  }

  item(): FpInsn[] {
    const rng = this.rng;
    const d = rng.chance(0.5);
    const p = d ? 'd' : 's';
    const kind = rng.weighted(ITEM_WEIGHTS);
    switch (kind) {
      case 'arith': {
        const rs1 = this.fs(d), rs2 = rng.chance(0.1) ? rs1 : this.fs(d);
        return [this.op(rng.pick(ARITH), d, this.fd(d), rs1, rs2, this.rm())];
      }
      case 'sqrt': {
        const rs1 = this.fs(d);
        return [this.op('fsqrt', d, this.fd(d), rs1, 0, this.rm())];
      }
      case 'fma': {
        const name = rng.pick(FMA);
        const rs1 = this.fs(d), rs2 = this.fs(d), rs3 = this.fs(d), rd = this.fd(d), rm = this.rm();
        return [i4(F.fmaOp(name, d, rd, rs1, rs2, rs3, rm), `${name}.${p}`,
          `${name}.${p} f${rd}, f${rs1}, f${rs2}, f${rs3}, ${F.RM_NAMES[rm]}`)];
      }
      case 'sgnj':
      case 'minmax': {
        const name = rng.pick(kind === 'sgnj' ? SGNJ : ['fmin', 'fmax']);
        const rs1 = this.fs(d), rs2 = rng.chance(0.2) ? rs1 : this.fs(d);
        return [this.op(name, d, this.fd(d), rs1, rs2, 0)];
      }
      case 'cmp': {
        const rs1 = this.fs(d), rs2 = rng.chance(0.15) ? rs1 : this.fs(d);
        return [this.op(rng.pick(CMP), d, this.xd(), rs1, rs2, 0)];
      }
      case 'fclass': {
        const rs1 = this.fs(d);
        return [this.op('fclass', d, this.xd(), rs1, 0, 0)];
      }
      case 'toInt': {
        const rs1 = this.fs(d);
        return [this.op(rng.pick(TO_INT), d, this.xd(), rs1, 0, this.rm())];
      }
      case 'fromInt': {
        const rs1 = this.xs();
        return [this.op(rng.pick(FROM_INT), d, this.fd(d), rs1, 0, this.rm())];
      }
      case 'cvt': { // fcvt.s.d reads a double, fcvt.d.s a single
        const rs1 = this.fs(!d);
        return [this.op('fcvt.other', d, this.fd(d), rs1, 0, this.rm())];
      }
      case 'fmv': {
        if (rng.chance(0.5)) {
          const rs1 = this.fs(d);
          return [this.op('fmv.to.x', d, this.xd(), rs1, 0, 0)];
        }
        const rs1 = this.xs();
        return [this.op('fmv.from.x', d, this.fd(d), rs1, 0, 0)];
      }
      case 'mem': {
        const size = d ? 8 : 4;
        const off = rng.chance(0.2) ? rng.range(0, SCRATCH_SIZE - size) : size * rng.below(SCRATCH_SIZE / size);
        if (rng.chance(0.5)) {
          const rd = this.fd(d);
          const w = d ? F.fld(rd, S0, off) : F.flw(rd, S0, off);
          return [i4(w, d ? 'fld' : 'flw', `${d ? 'fld' : 'flw'} f${rd}, ${off}(s0)`)];
        }
        const rs2 = this.fs(d);
        const w = d ? F.fsd(rs2, S0, off) : F.fsw(rs2, S0, off);
        return [i4(w, d ? 'fsd' : 'fsw', `${d ? 'fsd' : 'fsw'} f${rs2}, ${off}(s0)`)];
      }
      case 'cmem': {
        const off = 8 * rng.below(SCRATCH_SIZE / 8);
        switch (rng.below(4)) {
          case 0: { const r = 8 + rng.below(8); this.noteF(r); return [c2(F.cFmem('c.fld', r, S0, off), 'c.fld', `c.fld f${r}, ${off}(s0)`)]; }
          case 1: { const r = 8 + rng.below(8); return [c2(F.cFmem('c.fsd', r, S0, off), 'c.fsd', `c.fsd f${r}, ${off}(s0)`)]; }
          case 2: {
            const r = this.fd(true);
            return [c2(E.cMv(SP, S0), 'c.mv', 'c.mv sp, s0'), c2(F.cFldsp(r, off), 'c.fldsp', `c.fldsp f${r}, ${off}(sp)`)];
          }
          default: {
            const r = this.fs(true);
            return [c2(E.cMv(SP, S0), 'c.mv', 'c.mv sp, s0'), c2(F.cFsdsp(r, off), 'c.fsdsp', `c.fsdsp f${r}, ${off}(sp)`)];
          }
        }
      }
      case 'csr':
        return this.csr();
    }
  }

  /** Reads and writes of fflags, frm and fcsr; frm only ever gets a valid mode. */
  private csr(): FpInsn[] {
    const rng = this.rng;
    const rd = this.xd();
    const names = ['fflags', 'frm', 'fcsr'] as const;
    const csrText = (f3: number, csr: number, src: number) => {
      const mn = ['', 'csrrw', 'csrrs', 'csrrc', '', 'csrrwi', 'csrrsi', 'csrrci'][f3]!;
      return i4(F.csrOp(f3, rd, csr, src), mn, `${mn} x${rd}, ${names[csr - 1]}, ${f3 >= 5 ? src : `x${src}`}`);
    };
    switch (rng.below(7)) {
      case 0: return [csrText(2, rng.range(1, 3), 0)]; // read any
      case 1: return [csrText(1, F.FCSR.fflags, this.xs())]; // fsflags rd, rs: low 5 bits
      case 2: return [csrText(rng.pick([5, 6, 7]), F.FCSR.fflags, rng.below(32))];
      case 3: return [csrText(5, F.FCSR.frm, rng.below(5))]; // fsrmi
      case 4: { // fsrm rd, t with t = a valid mode
        let t: number;
        do t = rng.range(1, 31); while (t === S0);
        this.noteX(t);
        const v = rng.below(5);
        return [i4(E.iOp('addi', t, 0, v), 'addi', `addi x${t}, x0, ${v}`), csrText(1, F.FCSR.frm, t)];
      }
      case 5: { // fscsr rd, t with a valid frm and any flags
        let t: number;
        do t = rng.range(1, 31); while (t === S0);
        this.noteX(t);
        const v = (rng.below(5) << 5) | rng.below(32);
        return [i4(E.iOp('addi', t, 0, v), 'addi', `addi x${t}, x0, ${v}`), csrText(1, F.FCSR.fcsr, t)];
      }
      default: return [csrText(7, F.FCSR.fcsr, rng.below(32))]; // csrrci fcsr: clears flags only (uimm < 32)
    }
  }
}

/** Every mnemonic the generator can place in a body (coverage). */
export const FP_MNEMONICS: readonly string[] = (() => {
  const out = new Set<string>();
  for (const d of [false, true]) {
    for (const op of [...ARITH, 'fsqrt', ...SGNJ, 'fmin', 'fmax', ...CMP, 'fclass', ...TO_INT, ...FROM_INT, 'fcvt.other', 'fmv.to.x', 'fmv.from.x']) {
      out.add(mnemonicOf(F.fpOpText(op, d, 1, 1, 1, 0)));
    }
    for (const op of FMA) out.add(`${op}.${d ? 'd' : 's'}`);
  }
  for (const m of ['flw', 'fld', 'fsw', 'fsd', 'c.fld', 'c.fsd', 'c.fldsp', 'c.fsdsp', 'csrrw', 'csrrs', 'csrrwi', 'csrrsi', 'csrrci']) out.add(m);
  return [...out];
})();

// ---- Program assembly ---------------------------------------------------------------------------

function li32(rd: number, addr: number): FpInsn[] {
  const hi = (addr + 0x800) >>> 12;
  const lo = addr - hi * 4096;
  return [i4(E.lui(rd, hi), 'lui', ''), i4(E.iOp('addi', rd, rd, lo), 'addi', '')];
}

export function generateFpProgram(seed: number, opts: FpGenOptions = {}): FpProgram {
  const seqs = opts.seqs ?? 50;
  const bodyLen = opts.insnsPerSeq ?? 40;
  const rng = new Rng(seed ^ 0x5eed_f00d);
  const gen = new FpBodyGen(rng);

  const bodies: FpInsn[][] = [];
  const inits: Array<{ f: bigint[]; x: bigint[]; fcsr: number }> = [];
  for (let q = 0; q < seqs; q++) {
    const f: bigint[] = [], x: bigint[] = [];
    for (let r = 0; r < 32; r++) f.push(randomF(rng, r));
    for (let r = 1; r <= 31; r++) x.push(randomInt(rng));
    const fcsr = (rng.below(5) << 5) | (rng.chance(0.5) ? 0 : rng.below(32));
    inits.push({ f, x, fcsr });
    const body: FpInsn[] = [];
    for (let n = 0; n < bodyLen; n++) body.push(...gen.item());
    bodies.push(body);
  }

  const PROLOGUE = (2 + 2 + 32 + 30 + 2) * 4;
  const EPILOGUE = (32 + 31 + 2 + 5) * 4;
  const EXIT = 3 * 4;
  let codeSize = EXIT;
  for (const b of bodies) codeSize += PROLOGUE + EPILOGUE + b.reduce((n, i) => n + i.size, 0);
  const dataBase = Math.ceil((FP_TEXT_BASE + codeSize) / 0x1000) * 0x1000 + 0x1000;
  const dumpAddr = dataBase + DUMP_IN_PAGE;
  const scratchAddr = dumpAddr + 512;
  const poolAddr = dataBase + POOL_OFF;

  const data = new Uint8Array(POOL_OFF + seqs * POOL_ENTRY);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < SCRATCH_SIZE; i += 8) dv.setBigUint64(scratchAddr - dataBase + i, randomDouble(rng), true);

  const bytes: number[] = [];
  const pc = () => FP_TEXT_BASE + bytes.length;
  const emit = (insn: FpInsn) => {
    const at = pc();
    bytes.push(insn.word & 0xff, (insn.word >>> 8) & 0xff);
    if (insn.size === 4) bytes.push((insn.word >>> 16) & 0xff, (insn.word >>> 24) & 0xff);
    return at;
  };

  const sequences: FpSequence[] = [];
  const mnemonics = new Map<string, number>();
  for (let q = 0; q < seqs; q++) {
    const { f, x, fcsr } = inits[q]!;
    x[S0 - 1] = BigInt(scratchAddr);
    const entry = poolAddr + q * POOL_ENTRY;
    const eo = entry - dataBase;
    f.forEach((v, r) => dv.setBigUint64(eo + 8 * r, v, true));
    x.forEach((v, i) => dv.setBigUint64(eo + 256 + 8 * i, v, true));
    dv.setBigUint64(eo + 504, BigInt(fcsr), true);

    for (const insn of li32(S0, entry)) emit(insn);
    emit(i4(E.load('ld', 5, S0, 504), 'ld', ''));
    emit(i4(F.csrOp(1, 0, F.FCSR.fcsr, 5), 'csrrw', ''));
    for (let r = 0; r < 32; r++) emit(i4(F.fld(r, S0, 8 * r), 'fld', ''));
    for (let r = 1; r <= 31; r++) if (r !== S0) emit(i4(E.load('ld', r, S0, 256 + 8 * (r - 1)), 'ld', ''));
    for (const insn of li32(S0, scratchAddr)) emit(insn);

    const startPc = pc();
    const listing: string[] = [];
    for (const insn of bodies[q]!) {
      const at = emit(insn);
      listing.push(`${at.toString(16).padStart(8, '0')}: ${insn.text}`);
      mnemonics.set(insn.mnemonic, (mnemonics.get(insn.mnemonic) ?? 0) + 1);
    }

    for (let r = 0; r < 32; r++) emit(i4(F.fsd(r, S0, -512 + 8 * r), 'fsd', ''));
    for (let r = 1; r <= 31; r++) emit(i4(E.store('sd', r, S0, -256 + 8 * (r - 1)), 'sd', ''));
    emit(i4(F.csrOp(2, 5, F.FCSR.fcsr, 0), 'csrrs', ''));
    emit(i4(E.store('sd', 5, S0, -8), 'sd', ''));
    emit(i4(E.iOp('addi', A0, 0, 1), 'addi', ''));
    emit(i4(E.iOp('addi', A1, S0, -512), 'addi', ''));
    emit(i4(E.iOp('addi', A2, 0, RECORD_BYTES), 'addi', ''));
    emit(i4(E.iOp('addi', A7, 0, 64), 'addi', ''));
    emit(i4(E.ecall(), 'ecall', ''));
    sequences.push({ index: q, startPc, endPc: pc(), initF: f, initX: x, initFcsr: fcsr, listing });
  }
  emit(i4(E.iOp('addi', A0, 0, 0), 'addi', ''));
  emit(i4(E.iOp('addi', A7, 0, 93), 'addi', ''));
  emit(i4(E.ecall(), 'ecall', ''));
  if (pc() - FP_TEXT_BASE !== codeSize) throw new Error(`fp generator: code size ${pc() - FP_TEXT_BASE} != ${codeSize}`);

  const elf = writeElf(FP_TEXT_BASE, [
    { vaddr: FP_TEXT_BASE, data: Uint8Array.from(bytes), flags: PF_R | PF_X },
    { vaddr: dataBase, data, flags: PF_R | PF_W },
  ]);
  return { seed, elf, scratchAddr, sequences, expectedStdoutBytes: seqs * RECORD_BYTES, mnemonics };
}

// ---- Output comparison --------------------------------------------------------------------------

const hex64 = (v: bigint) => '0x' + v.toString(16).padStart(16, '0');

/** A report of the first record where `actual` (hart) differs from `expected` (QEMU), or null. */
export function describeFpDifference(prog: FpProgram, expected: Uint8Array, actual: Uint8Array): string | null {
  const n = Math.max(expected.length, actual.length);
  for (let q = 0; q * RECORD_BYTES < n; q++) {
    const a = expected.subarray(q * RECORD_BYTES, (q + 1) * RECORD_BYTES);
    const b = actual.subarray(q * RECORD_BYTES, (q + 1) * RECORD_BYTES);
    if (a.length === b.length && a.every((v, i) => v === b[i])) continue;
    const seq = prog.sequences[q];
    const lines = [`seed ${prog.seed}, sequence ${q} of ${prog.sequences.length} (qemu wrote ${expected.length} bytes, hart ${actual.length})`];
    if (seq === undefined) return lines.join('\n');
    const word = (buf: Uint8Array, o: number) =>
      o + 8 <= buf.length ? new DataView(buf.buffer, buf.byteOffset + o, 8).getBigUint64(0, true) : -1n;
    const show = (v: bigint) => (v < 0n ? '(missing)' : hex64(v));
    lines.push(`initial fcsr 0x${seq.initFcsr.toString(16)}; f registers:`);
    for (let r = 0; r < 32; r += 4) lines.push('  ' + [0, 1, 2, 3].map((k) => `f${r + k}=${hex64(seq.initF[r + k]!)}`).join(' '));
    lines.push('x registers:');
    for (let r = 1; r <= 31; r += 4) {
      lines.push('  ' + [0, 1, 2, 3].filter((k) => r + k <= 31).map((k) => `x${r + k}=${hex64(seq.initX[r + k - 1]!)}`).join(' '));
    }
    lines.push('body:', ...seq.listing.map((l) => '  ' + l));
    lines.push('differences (qemu vs hart):');
    for (let r = 0; r < 32; r++) {
      const qv = word(a, 8 * r), hv = word(b, 8 * r);
      if (qv !== hv) lines.push(`  f${r}: qemu ${show(qv)}  hart ${show(hv)}`);
    }
    for (let r = 1; r <= 31; r++) {
      const qv = word(a, 256 + 8 * (r - 1)), hv = word(b, 256 + 8 * (r - 1));
      if (qv !== hv) lines.push(`  x${r}: qemu ${show(qv)}  hart ${show(hv)}`);
    }
    const qf = word(a, 504), hf = word(b, 504);
    if (qf !== hf) lines.push(`  fcsr: qemu ${show(qf)}  hart ${show(hf)}`);
    for (let i = 0; i < SCRATCH_SIZE; i += 8) {
      const qv = word(a, 512 + i), hv = word(b, 512 + i);
      if (qv !== hv) lines.push(`  scratch +${i}: qemu ${show(qv)}  hart ${show(hv)}`);
    }
    return lines.join('\n');
  }
  return null;
}

/** The sequence whose code contains `pc` (for locating a trap). */
export function fpSequenceAt(prog: FpProgram, pc: number): FpSequence | undefined {
  return prog.sequences.find((q) => pc >= q.startPc - 68 * 4 && pc < q.endPc);
}
