// Fast paths for F and D arithmetic on native JS doubles, round-to-nearest-even only.
//
// Each function returns the correctly rounded result together with its exact flags (in
// `nat.flags`), or NaN when it cannot prove both; the handler then takes the exact path
// (softfloat.ts). A NaN result always goes to the exact path, so NaN bit patterns never pass
// through a JS number. The proofs rest on error-free transformations that need no fused
// multiply-add:
//
//   TwoSum(a, b)       s = RN(a + b) and err with a + b = s + err exactly (Knuth), when nothing
//                      overflows; an overflow anywhere makes err non-finite, which we test
//   TwoProduct(a, b)   p = RN(a * b) and err with a * b = p + err exactly (Dekker, Veltkamp
//                      splitting by 2^27 + 1), when |a|, |b| < 2^995 and no partial product
//                      underflows; the operand ranges below guarantee both
//
// binary64, RNE:
//   add/sub  exact iff TwoSum's err is 0; a sum never underflows inexactly, and overflow (an
//            infinite s) goes to the exact path
//   mul      operands in [2^-450, 2^450]: the product is normal; exact iff TwoProduct's err is 0
//   div      operands in [2^-450, 2^450]: q = RN(a / b) is normal; exact iff q * b == a, i.e.
//            TwoProduct(q, b) = (a, 0)
//   sqrt     operand in [2^-900, 2^900]: exact iff TwoProduct(s, s) = (a, 0)
//   fma      Boldo and Melquiond's emulation (IEEE TC 57(4), 2008): (uh, ul) = TwoProduct(a, b);
//            (th, tl) = TwoSum(c, uh); v = RO(tl + ul); z = RN(th + v), where RO rounds to odd
//            (an inexact RN result whose last bit is even moves one ulp toward the exact value).
//            Exact iff both tl + ul and th + v are exact. Operands a, b in [2^-450, 2^450] and
//            c zero or in [2^-500, 2^900], so every intermediate is a normal number.
// binary32, RNE (operands are floats held exactly in doubles): a float product is exact in
// binary64 (48 bits), and for +, -, *, / and sqrt, rounding the binary64 result to binary32
// equals rounding the exact result once (53 >= 2 * 24 + 2; Figueroa, "When is double rounding
// innocuous?", 1995). fma rounds the exact binary64 product plus c to odd first, then to binary32.
// A binary32 result must be finite and at least 2^-125 in magnitude (or an exact zero), so
// overflow, underflow and tininess-after-rounding at the 2^-126 boundary always take the exact
// path.

import { Flag } from './softfloat.js';

/** Flags of the last successful fast-path operation. */
export const nat = { flags: 0 };

const SPLIT = 134217729; // 2^27 + 1
const P450 = 2 ** 450, M450 = 2 ** -450, M500 = 2 ** -500, P900 = 2 ** 900, M900 = 2 ** -900;
/** Smallest binary32 magnitude the fast paths return (besides exact zeros): above 2^-126. */
export const MIN_S = 2 ** -125;
/** The largest finite binary32. */
export const MAX_S = 3.4028234663852886e38;

/** The error of p = RN(a * b): a * b - p exactly (Dekker's TwoProduct). */
function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** The error of s = RN(a + b): a + b - s exactly, or non-finite after an overflow (TwoSum). */
function sumError(a: number, b: number, s: number): number {
  const bb = s - a;
  return (a - (s - bb)) + (b - bb);
}

const f64 = new Float64Array(1);
const w64 = new Int32Array(f64.buffer);

/** Round-to-odd fix-up: s = RN(x) with x - s = err; the neighbour of s toward x when s is even. */
function toOdd(s: number, err: number): number {
  if (err === 0) return s;
  f64[0] = s;
  const lo = w64[0]!;
  if ((lo & 1) !== 0) return s;
  // s is finite and nonzero (err != 0); move its magnitude up when err has s's sign, else down.
  if ((err > 0) === (s > 0)) {
    if (lo === -1) { w64[0] = 0; w64[1] = w64[1]! + 1; } else w64[0] = lo + 1;
  } else if (lo === 0) { w64[0] = -1; w64[1] = w64[1]! - 1; } else w64[0] = lo - 1;
  return f64[0]!;
}

// ---- binary64 ----------------------------------------------------------------------------------

export function addD(a: number, b: number): number {
  const s = a + b;
  const err = sumError(a, b, s);
  if (err - err !== 0) return NaN; // NaN or infinite operands or result, or an overflow
  nat.flags = err !== 0 ? Flag.NX : 0;
  return s;
}

export function mulD(a: number, b: number): number {
  const p = a * b;
  const ap = Math.abs(a), bp = Math.abs(b);
  if (ap >= M450 && ap <= P450 && bp >= M450 && bp <= P450) {
    nat.flags = productError(a, b, p) !== 0 ? Flag.NX : 0;
    return p;
  }
  if ((a === 0 && bp < Infinity) || (b === 0 && ap < Infinity)) {
    nat.flags = 0;
    return p;
  }
  return NaN;
}

export function divD(a: number, b: number): number {
  const q = a / b;
  const ap = Math.abs(a), bp = Math.abs(b);
  if (ap >= M450 && ap <= P450 && bp >= M450 && bp <= P450) {
    const p = q * b;
    nat.flags = p === a && productError(q, b, p) === 0 ? 0 : Flag.NX;
    return q;
  }
  if (a === 0 && bp > 0 && bp < Infinity) {
    nat.flags = 0;
    return q;
  }
  return NaN;
}

export function sqrtD(a: number): number {
  if (a >= M900 && a <= P900) {
    const s = Math.sqrt(a);
    const p = s * s;
    nat.flags = p === a && productError(s, s, p) === 0 ? 0 : Flag.NX;
    return s;
  }
  if (a === 0) {
    nat.flags = 0;
    return a;
  }
  return NaN;
}

/** (+/-)(a * b) (+/-) c with one rounding. */
export function fmaD(a: number, b: number, c: number, negProd: boolean, negC: boolean): number {
  if ((a === 0 && Number.isFinite(b)) || (b === 0 && Number.isFinite(a))) {
    // A zero product is exact, so the sum is one correctly rounded addition (exact unless both
    // are zero, where IEEE's sign rules for round-to-nearest apply, as JS addition does).
    if (!Number.isFinite(c)) return NaN;
    let p = a * b;
    if (negProd) p = -p;
    nat.flags = 0;
    return p + (negC ? -c : c);
  }
  const ap = Math.abs(a), bp = Math.abs(b), cp = Math.abs(c);
  if (!(ap >= M450 && ap <= P450 && bp >= M450 && bp <= P450 && (c === 0 || (cp >= M500 && cp <= P900)))) return NaN;
  let uh = a * b;
  let ul = productError(a, b, uh);
  if (negProd) { uh = -uh; ul = -ul; }
  if (negC) c = -c;
  if (c === 0) {
    // The product is nonzero, so adding a zero changes nothing.
    nat.flags = ul !== 0 ? Flag.NX : 0;
    return uh;
  }
  const th = c + uh;
  const tl = sumError(c, uh, th);
  const v0 = tl + ul;
  const ve = sumError(tl, ul, v0);
  const v = toOdd(v0, ve);
  const z = th + v;
  const ze = sumError(th, v, z);
  nat.flags = ve === 0 && ze === 0 ? 0 : Flag.NX;
  return z;
}

// ---- binary32 ----------------------------------------------------------------------------------

/** Round the binary64 value d (with d's own error err vs the exact result) to binary32. */
function finishS(d: number, err: number): number {
  const r = Math.fround(d);
  const m = Math.abs(r);
  if (!(m >= MIN_S && m <= MAX_S) && !(d === 0 && err === 0)) return NaN;
  nat.flags = err !== 0 || r !== d ? Flag.NX : 0;
  return r;
}

export function addS(a: number, b: number): number {
  const s = a + b;
  const err = sumError(a, b, s);
  if (err - err !== 0) return NaN;
  return finishS(s, err);
}

export function mulS(a: number, b: number): number {
  const p = a * b; // exact: 24-bit by 24-bit significands
  if (p !== p) return NaN;
  return finishS(p, 0);
}

export function divS(a: number, b: number): number {
  const r = Math.fround(a / b);
  const m = Math.abs(r);
  if (m >= MIN_S && m <= MAX_S) {
    nat.flags = r * b === a ? 0 : Flag.NX; // r * b is exact in binary64
    return r;
  }
  if (a === 0 && Math.abs(b) > 0 && Math.abs(b) < Infinity) {
    nat.flags = 0;
    return r;
  }
  return NaN;
}

export function sqrtS(a: number): number {
  if (a > 0 && a < Infinity) {
    const r = Math.fround(Math.sqrt(a)); // a float's root is a normal float
    nat.flags = r * r === a ? 0 : Flag.NX;
    return r;
  }
  if (a === 0) {
    nat.flags = 0;
    return a;
  }
  return NaN;
}

export function fmaS(a: number, b: number, c: number, negProd: boolean, negC: boolean): number {
  let p = a * b; // exact
  if (negProd) p = -p;
  if (negC) c = -c;
  const s = p + c;
  const err = sumError(p, c, s);
  if (err - err !== 0) return NaN;
  return finishS(toOdd(s, err), err);
}
