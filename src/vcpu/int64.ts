// 64-bit integer arithmetic on (lo, hi) pairs of int32.
//
// The hart keeps every 64-bit register as two int32 halves because V8 keeps small integers
// unboxed and allocation-free, while BigInt allocates on every operation. Results that do not fit
// one return value go to the module scratch `out` (lo in out[0], hi in out[1]); the callers copy
// them out immediately, so no allocation happens on the hot path.

export const out = new Int32Array(4);

const TWO32 = 4294967296;

/** Unsigned high word of the 32x32 product a*b. */
export function mulhu32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** Low 64 bits of a*b into out[0..1]. */
export function mul64(al: number, ah: number, bl: number, bh: number): void {
  out[0] = Math.imul(al, bl);
  out[1] = (mulhu32(al, bl) + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
}

/** Full unsigned 128-bit product a*b into out[0..3] (least significant first). */
export function mulu128(al: number, ah: number, bl: number, bh: number): void {
  // Schoolbook on 32-bit words; each partial product is split into exact 32-bit halves.
  const w00l = Math.imul(al, bl), w00h = mulhu32(al, bl);
  const w01l = Math.imul(al, bh), w01h = mulhu32(al, bh);
  const w10l = Math.imul(ah, bl), w10h = mulhu32(ah, bl);
  const w11l = Math.imul(ah, bh), w11h = mulhu32(ah, bh);
  const c1 = (w00h >>> 0) + (w01l >>> 0) + (w10l >>> 0);
  const c2 = (w01h >>> 0) + (w10h >>> 0) + (w11l >>> 0) + Math.floor(c1 / TWO32);
  const c3 = (w11h >>> 0) + Math.floor(c2 / TWO32);
  out[0] = w00l;
  out[1] = c1 | 0;
  out[2] = c2 | 0;
  out[3] = c3 | 0;
}

/** High 64 bits of the product with signedness of each operand, into out[0..1]. */
export function mulh64(al: number, ah: number, aSigned: boolean, bl: number, bh: number, bSigned: boolean): void {
  mulu128(al, ah, bl, bh);
  let lo = out[2], hi = out[3];
  // Signed correction: (a - 2^64) * b = a*b - b*2^64, so subtract b from the high half.
  if (aSigned && ah < 0) {
    const s = (lo >>> 0) - (bl >>> 0);
    hi = (hi - bh - (s < 0 ? 1 : 0)) | 0;
    lo = s | 0;
  }
  if (bSigned && bh < 0) {
    const s = (lo >>> 0) - (al >>> 0);
    hi = (hi - ah - (s < 0 ? 1 : 0)) | 0;
    lo = s | 0;
  }
  out[0] = lo;
  out[1] = hi;
}

export function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

export function fromBig(v: bigint): void {
  out[0] = Number(BigInt.asIntN(32, v));
  out[1] = Number(BigInt.asIntN(32, v >> 32n));
}

/** True when the signed 64-bit value fits in 32 bits, so double arithmetic is exact. */
function fits32(lo: number, hi: number): boolean {
  return hi === lo >> 31;
}

/**
 * Signed or unsigned 64-bit division or remainder with RISC-V's results for division by zero
 * and overflow. Operands that fit 32 bits use exact double arithmetic; the rest go through BigInt.
 */
export function divrem64(al: number, ah: number, bl: number, bh: number, signed: boolean, rem: boolean): void {
  if (bl === 0 && bh === 0) {
    if (rem) { out[0] = al; out[1] = ah; } else { out[0] = -1; out[1] = -1; }
    return;
  }
  if (signed) {
    if (ah === (-2147483648 | 0) && al === 0 && bl === -1 && bh === -1) {
      if (rem) { out[0] = 0; out[1] = 0; } else { out[0] = al; out[1] = ah; }
      return;
    }
    if (fits32(al, ah) && fits32(bl, bh)) {
      const r = rem ? al % bl : Math.trunc(al / bl);
      out[0] = r | 0;
      out[1] = r < 0 ? -1 : 0;
      return;
    }
    const a = BigInt.asIntN(64, toBig(al, ah)), b = BigInt.asIntN(64, toBig(bl, bh));
    fromBig(rem ? a % b : a / b);
    return;
  }
  if (ah === 0 && bh === 0) {
    const a = al >>> 0, b = bl >>> 0;
    const r = rem ? a % b : Math.floor(a / b);
    out[0] = r | 0;
    out[1] = 0;
    return;
  }
  const a = BigInt.asUintN(64, toBig(al, ah)), b = BigInt.asUintN(64, toBig(bl, bh));
  fromBig(rem ? a % b : a / b);
}

/** 32-bit division or remainder (the W forms), result sign-extended from 32 bits. */
export function divrem32(a: number, b: number, signed: boolean, rem: boolean): number {
  if (b === 0) return rem ? a | 0 : -1;
  if (signed) {
    if (a === (-2147483648 | 0) && b === -1) return rem ? 0 : a;
    return (rem ? a % b : Math.trunc(a / b)) | 0;
  }
  const ua = a >>> 0, ub = b >>> 0;
  return (rem ? ua % ub : Math.floor(ua / ub)) | 0;
}

/** Unsigned less-than on 64-bit pairs. */
export function ltu64(al: number, ah: number, bl: number, bh: number): boolean {
  return ah === bh ? (al >>> 0) < (bl >>> 0) : (ah >>> 0) < (bh >>> 0);
}

/** Signed less-than on 64-bit pairs. */
export function lt64(al: number, ah: number, bl: number, bh: number): boolean {
  return ah === bh ? (al >>> 0) < (bl >>> 0) : ah < bh;
}

/** The 64-bit value as a JS number: exact when |v| < 2^53, which covers every valid address. */
export function toNumber(lo: number, hi: number): number {
  return hi * TWO32 + (lo >>> 0);
}

/** Split a JS number (an integer with |v| < 2^53) into out[0..1]. */
export function fromNumber(v: number): void {
  const hi = Math.floor(v / TWO32);
  out[0] = (v - hi * TWO32) | 0;
  out[1] = hi | 0;
}
