// RV64F and RV64D semantics: one entry per mnemonic (rows in isa-table-fd.ts), all with the
// handler signature (hart, rd, rs1, rs2, imm) -> Status.
//
// State: f0..f31 live in hart.fl / hart.fh as (lo, hi) int32 pairs; fcsr is hart.frm and
// hart.fflags. A single occupies the low word and is NaN-boxed (hi = -1); a single operand
// whose register is not properly boxed reads as the canonical NaN (spec 12.2), except for the
// bit moves that ignore boxing (fmv.x.w, fsw).
//
// Checks come first, in this order: mstatus.FS off -> illegal instruction; then, for rows with
// an rm field, a reserved rm (5, 6) or rm = 7 (dynamic) with a reserved frm -> illegal.
// Every write to an f register and every raised flag sets mstatus.FS to dirty.
//
// Arithmetic: under RNE the native-double fast paths of fp-native.ts are tried first; they
// return NaN when they cannot prove the result and flags, and every other case (another
// rounding mode, NaN operands or results, overflow, underflow, subnormal operands) takes the
// exact path of softfloat.ts on bigint bit patterns. Conversions have their own exact fast
// paths for values that fit a double's integer range.
//
// Loads and stores reuse the integer paths of memory-access.ts through the x0 discard slot
// (X_DISCARD): a load lands there and is copied into f[rd]; a store sends f[rs2] from there.

import type { Handler } from './handlers.js';
import type { Hart } from './hart.js';
import { Status } from './status.js';
import { X_DISCARD } from './decode.js';
import { FS_DIRTY, MSTATUS } from './csr.js';
import { load, store } from './memory-access.js';
import {
  F32, F64, Flag, Rm, sf, add, mul, div, sqrt, fma, eq, lt, minMax, toInt, fromInt, convert,
} from './softfloat.js';
import { nat, addD, mulD, divD, sqrtD, fmaD, addS, mulS, divS, sqrtS, fmaS, MIN_S, MAX_S } from './fp-native.js';

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('insns-rv64fd: a little-endian host is required');

const TWO32 = 4294967296;
const TWO52 = 4503599627370496;
const CANON_S = 0x7fc00000;
const SIGN = 0x80000000 | 0;

// ---- Register access ---------------------------------------------------------------------------

const f64 = new Float64Array(1);
const w64 = new Int32Array(f64.buffer);
const f32 = new Float32Array(1);
const w32 = new Int32Array(f32.buffer);

/** The binary32 bits of f[r]: its low word when NaN-boxed, else the canonical NaN. */
const sBits = (h: Hart, r: number): number => (h.fh[r] === -1 ? h.fl[r] : CANON_S);

function sVal(h: Hart, r: number): number {
  w32[0] = sBits(h, r);
  return f32[0];
}

function dVal(h: Hart, r: number): number {
  w64[0] = h.fl[r]; w64[1] = h.fh[r];
  return f64[0];
}

/** Write a binary32 value that is not NaN (its bits survive a JS number). */
function setS(h: Hart, rd: number, x: number): void {
  f32[0] = x;
  h.fl[rd] = w32[0]; h.fh[rd] = -1;
}

function setD(h: Hart, rd: number, x: number): void {
  f64[0] = x;
  h.fl[rd] = w64[0]; h.fh[rd] = w64[1];
}

const sBig = (h: Hart, r: number): bigint => BigInt(sBits(h, r) >>> 0);
const dBig = (h: Hart, r: number): bigint => (BigInt(h.fh[r] >>> 0) << 32n) | BigInt(h.fl[r] >>> 0);

function setSBig(h: Hart, rd: number, v: bigint): void {
  h.fl[rd] = Number(v) | 0; h.fh[rd] = -1;
}

function setDBig(h: Hart, rd: number, v: bigint): void {
  h.fl[rd] = Number(v & 0xffffffffn) | 0; h.fh[rd] = Number(v >> 32n) | 0;
}

/** The instruction retired after writing FP state: FS = dirty, flags accrued. */
function done(h: Hart, flags: number): number {
  h.csr.mstatus |= FS_DIRTY;
  h.fflags |= flags;
  return Status.Ok;
}

/** Only flags may have changed (the result went to an x register). */
function doneX(h: Hart, flags: number): number {
  if (flags !== 0) done(h, flags);
  return Status.Ok;
}

const fsOff = (h: Hart): boolean => (h.csr.mstatus & MSTATUS.FS) === 0;

/** The rounding mode that field `rm` selects, or -1 when it is reserved. */
function roundingMode(h: Hart, rm: number): number {
  const r = rm === 7 ? h.frm : rm;
  return r <= Rm.RMM ? r : -1;
}

// ---- Arithmetic --------------------------------------------------------------------------------

const enum Op { Add, Sub, Mul, Div }

function binS(h: Hart, rd: number, rs1: number, rs2: number, rmField: number, op: Op): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, rmField);
  if (rm < 0) return h.illegal();
  if (rm === Rm.RNE) {
    const a = sVal(h, rs1), b = sVal(h, rs2);
    const r = op === Op.Add ? addS(a, b) : op === Op.Sub ? addS(a, -b) : op === Op.Mul ? mulS(a, b) : divS(a, b);
    if (r === r) { setS(h, rd, r); return done(h, nat.flags); }
  }
  sf.flags = 0;
  const a = sBig(h, rs1), b = sBig(h, rs2);
  setSBig(h, rd, op === Op.Add ? add(F32, a, b, rm) : op === Op.Sub ? add(F32, a, b, rm, true)
    : op === Op.Mul ? mul(F32, a, b, rm) : div(F32, a, b, rm));
  return done(h, sf.flags);
}

function binD(h: Hart, rd: number, rs1: number, rs2: number, rmField: number, op: Op): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, rmField);
  if (rm < 0) return h.illegal();
  if (rm === Rm.RNE) {
    const a = dVal(h, rs1), b = dVal(h, rs2);
    const r = op === Op.Add ? addD(a, b) : op === Op.Sub ? addD(a, -b) : op === Op.Mul ? mulD(a, b) : divD(a, b);
    if (r === r) { setD(h, rd, r); return done(h, nat.flags); }
  }
  sf.flags = 0;
  const a = dBig(h, rs1), b = dBig(h, rs2);
  setDBig(h, rd, op === Op.Add ? add(F64, a, b, rm) : op === Op.Sub ? add(F64, a, b, rm, true)
    : op === Op.Mul ? mul(F64, a, b, rm) : div(F64, a, b, rm));
  return done(h, sf.flags);
}

function sqrtSh(h: Hart, rd: number, rs1: number, rmField: number): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, rmField);
  if (rm < 0) return h.illegal();
  if (rm === Rm.RNE) {
    const r = sqrtS(sVal(h, rs1));
    if (r === r) { setS(h, rd, r); return done(h, nat.flags); }
  }
  sf.flags = 0;
  setSBig(h, rd, sqrt(F32, sBig(h, rs1), rm));
  return done(h, sf.flags);
}

function sqrtDh(h: Hart, rd: number, rs1: number, rmField: number): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, rmField);
  if (rm < 0) return h.illegal();
  if (rm === Rm.RNE) {
    const r = sqrtD(dVal(h, rs1));
    if (r === r) { setD(h, rd, r); return done(h, nat.flags); }
  }
  sf.flags = 0;
  setDBig(h, rd, sqrt(F64, dBig(h, rs1), rm));
  return done(h, sf.flags);
}

/** The fused multiply-adds; imm = rs3 << 3 | rm. */
function fmaSh(h: Hart, rd: number, rs1: number, rs2: number, imm: number, negProd: boolean, negC: boolean): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, imm & 7);
  if (rm < 0) return h.illegal();
  const rs3 = imm >>> 3;
  if (rm === Rm.RNE) {
    const r = fmaS(sVal(h, rs1), sVal(h, rs2), sVal(h, rs3), negProd, negC);
    if (r === r) { setS(h, rd, r); return done(h, nat.flags); }
  }
  sf.flags = 0;
  setSBig(h, rd, fma(F32, sBig(h, rs1), sBig(h, rs2), sBig(h, rs3), rm, negProd, negC));
  return done(h, sf.flags);
}

function fmaDh(h: Hart, rd: number, rs1: number, rs2: number, imm: number, negProd: boolean, negC: boolean): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, imm & 7);
  if (rm < 0) return h.illegal();
  const rs3 = imm >>> 3;
  if (rm === Rm.RNE) {
    const r = fmaD(dVal(h, rs1), dVal(h, rs2), dVal(h, rs3), negProd, negC);
    if (r === r) { setD(h, rd, r); return done(h, nat.flags); }
  }
  sf.flags = 0;
  setDBig(h, rd, fma(F64, dBig(h, rs1), dBig(h, rs2), dBig(h, rs3), rm, negProd, negC));
  return done(h, sf.flags);
}

// ---- Sign injection, min/max, comparisons, classification --------------------------------------

const enum Sgnj { J, Jn, Jx }

/** The new sign bit (bit 31) from the sign word of rs1 (a) and of rs2 (b). */
function injectedSign(a: number, b: number, kind: Sgnj): number {
  return (kind === Sgnj.J ? b : kind === Sgnj.Jn ? ~b : a ^ b) & SIGN;
}

function sgnjS(h: Hart, rd: number, rs1: number, rs2: number, kind: Sgnj): number {
  if (fsOff(h)) return h.illegal();
  const a = sBits(h, rs1), b = sBits(h, rs2);
  h.fl[rd] = (a & ~SIGN) | injectedSign(a, b, kind); h.fh[rd] = -1;
  return done(h, 0);
}

function sgnjD(h: Hart, rd: number, rs1: number, rs2: number, kind: Sgnj): number {
  if (fsOff(h)) return h.illegal();
  const a = h.fh[rs1], b = h.fh[rs2];
  h.fl[rd] = h.fl[rs1]; h.fh[rd] = (a & ~SIGN) | injectedSign(a, b, kind);
  return done(h, 0);
}

/** Whether operand x (rs1, value a, sign word sa) is the min (or max) of x and y. */
function firstWins(a: number, b: number, sa: number, sb: number, max: boolean): boolean {
  if (a === b) return (sa < 0) !== max || sa === sb; // equal zeros: -0 is the smaller
  return (a < b) !== max;
}

function minMaxS(h: Hart, rd: number, rs1: number, rs2: number, max: boolean): number {
  if (fsOff(h)) return h.illegal();
  const a = sVal(h, rs1), b = sVal(h, rs2);
  if (a === a && b === b) {
    const sa = sBits(h, rs1), sb = sBits(h, rs2);
    h.fl[rd] = firstWins(a, b, sa, sb, max) ? sa : sb; h.fh[rd] = -1;
    return done(h, 0);
  }
  sf.flags = 0;
  setSBig(h, rd, minMax(F32, sBig(h, rs1), sBig(h, rs2), max));
  return done(h, sf.flags);
}

function minMaxD(h: Hart, rd: number, rs1: number, rs2: number, max: boolean): number {
  if (fsOff(h)) return h.illegal();
  const a = dVal(h, rs1), b = dVal(h, rs2);
  if (a === a && b === b) {
    const src = firstWins(a, b, h.fh[rs1], h.fh[rs2], max) ? rs1 : rs2;
    h.fl[rd] = h.fl[src]; h.fh[rd] = h.fh[src];
    return done(h, 0);
  }
  sf.flags = 0;
  setDBig(h, rd, minMax(F64, dBig(h, rs1), dBig(h, rs2), max));
  return done(h, sf.flags);
}

const enum Cmp { Eq, Lt, Le }

function setBool(h: Hart, rd: number, v: boolean | number): void {
  h.xl[rd] = v ? 1 : 0; h.xh[rd] = 0;
}

function cmpS(h: Hart, rd: number, rs1: number, rs2: number, cmp: Cmp): number {
  if (fsOff(h)) return h.illegal();
  const a = sVal(h, rs1), b = sVal(h, rs2);
  if (a === a && b === b) {
    setBool(h, rd, cmp === Cmp.Eq ? a === b : cmp === Cmp.Lt ? a < b : a <= b);
    return Status.Ok;
  }
  sf.flags = 0;
  const A = sBig(h, rs1), B = sBig(h, rs2);
  setBool(h, rd, cmp === Cmp.Eq ? eq(F32, A, B) : lt(F32, A, B, cmp === Cmp.Le));
  return doneX(h, sf.flags);
}

function cmpD(h: Hart, rd: number, rs1: number, rs2: number, cmp: Cmp): number {
  if (fsOff(h)) return h.illegal();
  const a = dVal(h, rs1), b = dVal(h, rs2);
  if (a === a && b === b) {
    setBool(h, rd, cmp === Cmp.Eq ? a === b : cmp === Cmp.Lt ? a < b : a <= b);
    return Status.Ok;
  }
  sf.flags = 0;
  const A = dBig(h, rs1), B = dBig(h, rs2);
  setBool(h, rd, cmp === Cmp.Eq ? eq(F64, A, B) : lt(F64, A, B, cmp === Cmp.Le));
  return doneX(h, sf.flags);
}

function fclass(h: Hart, rd: number, v: number): number {
  if (fsOff(h)) return h.illegal();
  h.xl[rd] = v; h.xh[rd] = 0;
  return Status.Ok;
}

// ---- Conversions -------------------------------------------------------------------------------

/** x (|x| < 2^52, not NaN) rounded to an integer by rm. */
function roundToInt(x: number, rm: number): number {
  switch (rm) {
    case Rm.RTZ: return Math.trunc(x);
    case Rm.RDN: return Math.floor(x);
    case Rm.RUP: return Math.ceil(x);
    default: {
      const t = Math.trunc(x);
      const f = Math.abs(x - t); // exact
      const away = f > 0.5 || (f === 0.5 && (rm === Rm.RMM || t % 2 !== 0));
      return away ? t + (x < 0 ? -1 : 1) : t;
    }
  }
}

const enum IntKind { W, WU, L, LU }

/** fcvt.{w,wu,l,lu}.{s,d}: x is the value of f[rs1], a single when `single`. */
function toIntCommon(h: Hart, rd: number, rs1: number, x: number, single: boolean, rm: number, kind: IntKind): number {
  if (Math.abs(x) < TWO52) {
    const r = roundToInt(x, rm);
    const ok = kind === IntKind.W ? r >= -2147483648 && r <= 2147483647
      : kind === IntKind.WU ? r >= 0 && r < TWO32 : kind === IntKind.L ? true : r >= 0;
    if (ok) {
      if (kind <= IntKind.WU) {
        const lo = r | 0;
        h.xl[rd] = lo; h.xh[rd] = lo >> 31; // W results are sign-extended, WU too
      } else {
        const hi = Math.floor(r / TWO32);
        h.xl[rd] = (r - hi * TWO32) | 0; h.xh[rd] = hi | 0;
      }
      return doneX(h, r !== x ? Flag.NX : 0);
    }
  }
  sf.flags = 0;
  const width = kind <= IntKind.WU ? 32 : 64, signed = kind === IntKind.W || kind === IntKind.L;
  const v = single ? toInt(F32, sBig(h, rs1), rm, width, signed) : toInt(F64, dBig(h, rs1), rm, width, signed);
  if (kind <= IntKind.WU) {
    const lo = Number(BigInt.asIntN(32, v));
    h.xl[rd] = lo; h.xh[rd] = lo >> 31;
  } else {
    h.xl[rd] = Number(BigInt.asIntN(32, v)); h.xh[rd] = Number(BigInt.asIntN(32, v >> 32n));
  }
  return doneX(h, sf.flags);
}

function cvtToIntS(h: Hart, rd: number, rs1: number, rmField: number, kind: IntKind): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, rmField);
  if (rm < 0) return h.illegal();
  return toIntCommon(h, rd, rs1, sVal(h, rs1), true, rm, kind);
}

function cvtToIntD(h: Hart, rd: number, rs1: number, rmField: number, kind: IntKind): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, rmField);
  if (rm < 0) return h.illegal();
  return toIntCommon(h, rd, rs1, dVal(h, rs1), false, rm, kind);
}

/** x[rs1] as the integer kind: a JS number when exact (|v| <= 2^53), else NaN. */
function intValue(h: Hart, rs1: number, kind: IntKind): number {
  const lo = h.xl[rs1], hi = h.xh[rs1];
  switch (kind) {
    case IntKind.W: return lo;
    case IntKind.WU: return lo >>> 0;
    case IntKind.L: return hi >= -2097152 && hi < 2097152 ? hi * TWO32 + (lo >>> 0) : NaN;
    default: return hi >= 0 && hi < 2097152 ? hi * TWO32 + (lo >>> 0) : NaN;
  }
}

function intBig(h: Hart, rs1: number, kind: IntKind): bigint {
  const lo = h.xl[rs1], hi = h.xh[rs1];
  switch (kind) {
    case IntKind.W: return BigInt(lo);
    case IntKind.WU: return BigInt(lo >>> 0);
    case IntKind.L: return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
    default: return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }
}

function cvtFromIntS(h: Hart, rd: number, rs1: number, rmField: number, kind: IntKind): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, rmField);
  if (rm < 0) return h.illegal();
  const v = intValue(h, rs1, kind);
  const r = Math.fround(v); // one rounding of an exact value: RNE
  if (r === v || (rm === Rm.RNE && r === r)) { setS(h, rd, r); return done(h, r !== v ? Flag.NX : 0); }
  sf.flags = 0;
  setSBig(h, rd, fromInt(F32, intBig(h, rs1, kind), rm));
  return done(h, sf.flags);
}

function cvtFromIntD(h: Hart, rd: number, rs1: number, rmField: number, kind: IntKind): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, rmField);
  if (rm < 0) return h.illegal();
  const v = intValue(h, rs1, kind);
  if (v === v) { setD(h, rd, v); return done(h, 0); } // exact
  sf.flags = 0;
  setDBig(h, rd, fromInt(F64, intBig(h, rs1, kind), rm));
  return done(h, sf.flags);
}

function fcvtSD(h: Hart, rd: number, rs1: number, rmField: number): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, rmField);
  if (rm < 0) return h.illegal();
  const d = dVal(h, rs1);
  const r = Math.fround(d);
  const m = Math.abs(r);
  if (r === d || (rm === Rm.RNE && m >= MIN_S && m <= MAX_S)) { setS(h, rd, r); return done(h, r !== d ? Flag.NX : 0); }
  sf.flags = 0;
  setSBig(h, rd, convert(F32, F64, dBig(h, rs1), rm));
  return done(h, sf.flags);
}

function fcvtDS(h: Hart, rd: number, rs1: number, rmField: number): number {
  if (fsOff(h)) return h.illegal();
  const rm = roundingMode(h, rmField);
  if (rm < 0) return h.illegal();
  const s = sVal(h, rs1);
  if (s === s) { setD(h, rd, s); return done(h, 0); } // exact
  sf.flags = 0;
  setDBig(h, rd, convert(F64, F32, sBig(h, rs1), rm));
  return done(h, sf.flags);
}

// ---- fclass on bit patterns --------------------------------------------------------------------

/** fclass from the sign, the biased exponent (all ones = expMax), and fraction facts. */
function classBits(neg: boolean, exp: number, expMax: number, fracZero: boolean, quiet: boolean): number {
  if (exp === expMax) return fracZero ? (neg ? 1 << 0 : 1 << 7) : quiet ? 1 << 9 : 1 << 8;
  if (exp === 0) return fracZero ? (neg ? 1 << 3 : 1 << 4) : neg ? 1 << 2 : 1 << 5;
  return neg ? 1 << 1 : 1 << 6;
}

function classS(x: number): number {
  return classBits(x < 0, (x >>> 23) & 0xff, 0xff, (x & 0x7fffff) === 0, (x & 0x400000) !== 0);
}

function classD(lo: number, hi: number): number {
  return classBits(hi < 0, (hi >>> 20) & 0x7ff, 0x7ff, (hi & 0xfffff) === 0 && lo === 0, (hi & 0x80000) !== 0);
}

// ---- The table ---------------------------------------------------------------------------------

export const RV64FD: Record<string, Handler> = {
  flw: (h, rd, rs1, _rs2, imm) => {
    if (fsOff(h)) return h.illegal();
    const st = load(h, X_DISCARD, rs1, imm, 4, false);
    if (st === Status.Ok || st === Status.Event) { h.fl[rd] = h.xl[X_DISCARD]; h.fh[rd] = -1; h.csr.mstatus |= FS_DIRTY; }
    return st;
  },
  fld: (h, rd, rs1, _rs2, imm) => {
    if (fsOff(h)) return h.illegal();
    const st = load(h, X_DISCARD, rs1, imm, 8, false);
    if (st === Status.Ok || st === Status.Event) { h.fl[rd] = h.xl[X_DISCARD]; h.fh[rd] = h.xh[X_DISCARD]; h.csr.mstatus |= FS_DIRTY; }
    return st;
  },
  fsw: (h, _rd, rs1, rs2, imm) => {
    if (fsOff(h)) return h.illegal();
    h.xl[X_DISCARD] = h.fl[rs2];
    return store(h, rs1, X_DISCARD, imm, 4);
  },
  fsd: (h, _rd, rs1, rs2, imm) => {
    if (fsOff(h)) return h.illegal();
    h.xl[X_DISCARD] = h.fl[rs2]; h.xh[X_DISCARD] = h.fh[rs2];
    return store(h, rs1, X_DISCARD, imm, 8);
  },

  fadd_s: (h, rd, rs1, rs2, imm) => binS(h, rd, rs1, rs2, imm, Op.Add),
  fsub_s: (h, rd, rs1, rs2, imm) => binS(h, rd, rs1, rs2, imm, Op.Sub),
  fmul_s: (h, rd, rs1, rs2, imm) => binS(h, rd, rs1, rs2, imm, Op.Mul),
  fdiv_s: (h, rd, rs1, rs2, imm) => binS(h, rd, rs1, rs2, imm, Op.Div),
  fsqrt_s: (h, rd, rs1, _rs2, imm) => sqrtSh(h, rd, rs1, imm),
  fadd_d: (h, rd, rs1, rs2, imm) => binD(h, rd, rs1, rs2, imm, Op.Add),
  fsub_d: (h, rd, rs1, rs2, imm) => binD(h, rd, rs1, rs2, imm, Op.Sub),
  fmul_d: (h, rd, rs1, rs2, imm) => binD(h, rd, rs1, rs2, imm, Op.Mul),
  fdiv_d: (h, rd, rs1, rs2, imm) => binD(h, rd, rs1, rs2, imm, Op.Div),
  fsqrt_d: (h, rd, rs1, _rs2, imm) => sqrtDh(h, rd, rs1, imm),

  fmadd_s: (h, rd, rs1, rs2, imm) => fmaSh(h, rd, rs1, rs2, imm, false, false),
  fmsub_s: (h, rd, rs1, rs2, imm) => fmaSh(h, rd, rs1, rs2, imm, false, true),
  fnmsub_s: (h, rd, rs1, rs2, imm) => fmaSh(h, rd, rs1, rs2, imm, true, false),
  fnmadd_s: (h, rd, rs1, rs2, imm) => fmaSh(h, rd, rs1, rs2, imm, true, true),
  fmadd_d: (h, rd, rs1, rs2, imm) => fmaDh(h, rd, rs1, rs2, imm, false, false),
  fmsub_d: (h, rd, rs1, rs2, imm) => fmaDh(h, rd, rs1, rs2, imm, false, true),
  fnmsub_d: (h, rd, rs1, rs2, imm) => fmaDh(h, rd, rs1, rs2, imm, true, false),
  fnmadd_d: (h, rd, rs1, rs2, imm) => fmaDh(h, rd, rs1, rs2, imm, true, true),

  fsgnj_s: (h, rd, rs1, rs2, _imm) => sgnjS(h, rd, rs1, rs2, Sgnj.J),
  fsgnjn_s: (h, rd, rs1, rs2, _imm) => sgnjS(h, rd, rs1, rs2, Sgnj.Jn),
  fsgnjx_s: (h, rd, rs1, rs2, _imm) => sgnjS(h, rd, rs1, rs2, Sgnj.Jx),
  fsgnj_d: (h, rd, rs1, rs2, _imm) => sgnjD(h, rd, rs1, rs2, Sgnj.J),
  fsgnjn_d: (h, rd, rs1, rs2, _imm) => sgnjD(h, rd, rs1, rs2, Sgnj.Jn),
  fsgnjx_d: (h, rd, rs1, rs2, _imm) => sgnjD(h, rd, rs1, rs2, Sgnj.Jx),

  fmin_s: (h, rd, rs1, rs2, _imm) => minMaxS(h, rd, rs1, rs2, false),
  fmax_s: (h, rd, rs1, rs2, _imm) => minMaxS(h, rd, rs1, rs2, true),
  fmin_d: (h, rd, rs1, rs2, _imm) => minMaxD(h, rd, rs1, rs2, false),
  fmax_d: (h, rd, rs1, rs2, _imm) => minMaxD(h, rd, rs1, rs2, true),

  feq_s: (h, rd, rs1, rs2, _imm) => cmpS(h, rd, rs1, rs2, Cmp.Eq),
  flt_s: (h, rd, rs1, rs2, _imm) => cmpS(h, rd, rs1, rs2, Cmp.Lt),
  fle_s: (h, rd, rs1, rs2, _imm) => cmpS(h, rd, rs1, rs2, Cmp.Le),
  feq_d: (h, rd, rs1, rs2, _imm) => cmpD(h, rd, rs1, rs2, Cmp.Eq),
  flt_d: (h, rd, rs1, rs2, _imm) => cmpD(h, rd, rs1, rs2, Cmp.Lt),
  fle_d: (h, rd, rs1, rs2, _imm) => cmpD(h, rd, rs1, rs2, Cmp.Le),

  fclass_s: (h, rd, rs1, _rs2, _imm) => fclass(h, rd, classS(sBits(h, rs1))),
  fclass_d: (h, rd, rs1, _rs2, _imm) => fclass(h, rd, classD(h.fl[rs1], h.fh[rs1])),

  fcvt_w_s: (h, rd, rs1, _rs2, imm) => cvtToIntS(h, rd, rs1, imm, IntKind.W),
  fcvt_wu_s: (h, rd, rs1, _rs2, imm) => cvtToIntS(h, rd, rs1, imm, IntKind.WU),
  fcvt_l_s: (h, rd, rs1, _rs2, imm) => cvtToIntS(h, rd, rs1, imm, IntKind.L),
  fcvt_lu_s: (h, rd, rs1, _rs2, imm) => cvtToIntS(h, rd, rs1, imm, IntKind.LU),
  fcvt_w_d: (h, rd, rs1, _rs2, imm) => cvtToIntD(h, rd, rs1, imm, IntKind.W),
  fcvt_wu_d: (h, rd, rs1, _rs2, imm) => cvtToIntD(h, rd, rs1, imm, IntKind.WU),
  fcvt_l_d: (h, rd, rs1, _rs2, imm) => cvtToIntD(h, rd, rs1, imm, IntKind.L),
  fcvt_lu_d: (h, rd, rs1, _rs2, imm) => cvtToIntD(h, rd, rs1, imm, IntKind.LU),
  fcvt_s_w: (h, rd, rs1, _rs2, imm) => cvtFromIntS(h, rd, rs1, imm, IntKind.W),
  fcvt_s_wu: (h, rd, rs1, _rs2, imm) => cvtFromIntS(h, rd, rs1, imm, IntKind.WU),
  fcvt_s_l: (h, rd, rs1, _rs2, imm) => cvtFromIntS(h, rd, rs1, imm, IntKind.L),
  fcvt_s_lu: (h, rd, rs1, _rs2, imm) => cvtFromIntS(h, rd, rs1, imm, IntKind.LU),
  fcvt_d_w: (h, rd, rs1, _rs2, imm) => cvtFromIntD(h, rd, rs1, imm, IntKind.W),
  fcvt_d_wu: (h, rd, rs1, _rs2, imm) => cvtFromIntD(h, rd, rs1, imm, IntKind.WU),
  fcvt_d_l: (h, rd, rs1, _rs2, imm) => cvtFromIntD(h, rd, rs1, imm, IntKind.L),
  fcvt_d_lu: (h, rd, rs1, _rs2, imm) => cvtFromIntD(h, rd, rs1, imm, IntKind.LU),
  fcvt_s_d: (h, rd, rs1, _rs2, imm) => fcvtSD(h, rd, rs1, imm),
  fcvt_d_s: (h, rd, rs1, _rs2, imm) => fcvtDS(h, rd, rs1, imm),

  fmv_x_w: (h, rd, rs1, _rs2, _imm) => {
    if (fsOff(h)) return h.illegal();
    const v = h.fl[rs1]; // the raw low word, boxed or not
    h.xl[rd] = v; h.xh[rd] = v >> 31;
    return Status.Ok;
  },
  fmv_w_x: (h, rd, rs1, _rs2, _imm) => {
    if (fsOff(h)) return h.illegal();
    h.fl[rd] = h.xl[rs1]; h.fh[rd] = -1;
    return done(h, 0);
  },
  fmv_x_d: (h, rd, rs1, _rs2, _imm) => {
    if (fsOff(h)) return h.illegal();
    h.xl[rd] = h.fl[rs1]; h.xh[rd] = h.fh[rs1];
    return Status.Ok;
  },
  fmv_d_x: (h, rd, rs1, _rs2, _imm) => {
    if (fsOff(h)) return h.illegal();
    h.fl[rd] = h.xl[rs1]; h.fh[rd] = h.xh[rs1];
    return done(h, 0);
  },
};
