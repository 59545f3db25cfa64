// Exact IEEE 754-2019 binary32 / binary64 arithmetic on bit patterns, with RISC-V's choices:
// the exact path behind the F and D handlers (insns-rv64fd.ts), used whenever the native-double
// fast paths (fp-native.ts) cannot prove their result and flags, and the reference those fast
// paths are tested against (test/fpu-native.test.ts).
//
// Values are bit patterns as bigint (a binary32 in the low 32 bits). Every operation computes
// the exact result on bigint integers and rounds once, in roundPack:
//
//   finite value = (-1)^sign * sig * 2^exp, sig a non-negative bigint of any length
//   sticky       = "plus a nonzero amount below sig's last bit" (division and square root
//                  remainders); callers then supply at least p + 2 bits so the round and
//                  sticky positions are known
//
// RISC-V's choices (unprivileged spec, chapter "F" 11.3 and 11.7):
//   - every NaN result is the canonical NaN (0x7fc00000, 0x7ff8000000000000); NaN payloads and
//     signs are never propagated; NV is raised for signalling NaN operands
//   - tininess is detected after rounding (UF = tiny and inexact)
//   - fma raises NV for inf * 0 even when the addend is a quiet NaN
//   - fmin/fmax are 754-2019 minimumNumber/maximumNumber, with -0 < +0
//   - float-to-integer conversions saturate (NaN converts to the largest integer) and raise NV
//     without NX when the rounded value does not fit
//
// Flags accumulate into `sf.flags` (the fflags bit layout); callers clear it first. Nothing here
// is on the integer hot path; this file favours obviously-exact code over speed.

export const enum Rm { RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4 }

/** fflags bits. */
export const enum Flag { NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16 }

export interface FloatFormat {
  readonly name: 's' | 'd';
  /** Total width in bits. */
  readonly width: number;
  /** Precision, counting the hidden bit. */
  readonly p: number;
  readonly emin: number;
  readonly emax: number;
  readonly bias: number;
  readonly fracBits: number;
  readonly fracMask: bigint;
  readonly hidden: bigint;
  readonly quietBit: bigint;
  readonly expAllOnes: number;
  readonly signBit: bigint;
  readonly infBits: bigint;
  readonly maxFinite: bigint;
  readonly canonicalNaN: bigint;
}

function format(name: 's' | 'd', width: number, expBits: number): FloatFormat {
  const fracBits = width - 1 - expBits;
  const bias = (1 << (expBits - 1)) - 1;
  const expAllOnes = (1 << expBits) - 1;
  const F = BigInt(fracBits);
  return {
    name, width, p: fracBits + 1, emin: 1 - bias, emax: bias, bias, fracBits,
    fracMask: (1n << F) - 1n,
    hidden: 1n << F,
    quietBit: 1n << (F - 1n),
    expAllOnes,
    signBit: 1n << BigInt(width - 1),
    infBits: BigInt(expAllOnes) << F,
    maxFinite: (BigInt(expAllOnes - 1) << F) | ((1n << F) - 1n),
    canonicalNaN: (BigInt(expAllOnes) << F) | (1n << (F - 1n)),
  };
}

export const F32 = format('s', 32, 8);
export const F64 = format('d', 64, 11);

/** Accrued exception flags of the operations since the caller last cleared them. */
export const sf = { flags: 0 };

// ---- Unpacking ----------------------------------------------------------------------------------

const enum Cls { Zero, Finite, Inf, QNaN, SNaN }

interface Unpacked {
  cls: Cls;
  sign: number;
  /** Finite values: value = sig * 2^exp (sig includes the hidden bit of a normal number). */
  sig: bigint;
  exp: number;
}

function unpack(F: FloatFormat, x: bigint): Unpacked {
  const sign = (x & F.signBit) !== 0n ? 1 : 0;
  const e = Number((x >> BigInt(F.fracBits)) & BigInt(F.expAllOnes));
  const frac = x & F.fracMask;
  if (e === F.expAllOnes) {
    const cls = frac === 0n ? Cls.Inf : (frac & F.quietBit) !== 0n ? Cls.QNaN : Cls.SNaN;
    return { cls, sign, sig: 0n, exp: 0 };
  }
  if (e === 0) {
    if (frac === 0n) return { cls: Cls.Zero, sign, sig: 0n, exp: 0 };
    return { cls: Cls.Finite, sign, sig: frac, exp: F.emin - F.fracBits };
  }
  return { cls: Cls.Finite, sign, sig: frac | F.hidden, exp: e - F.bias - F.fracBits };
}

const isNaN = (u: Unpacked) => u.cls >= Cls.QNaN;

/** Number of bits of a positive bigint. */
export function bitLen(x: bigint): number {
  if (x <= 0xffffffffn) return 32 - Math.clz32(Number(x));
  const s = x.toString(16);
  return (s.length - 1) * 4 + (32 - Math.clz32(parseInt(s[0]!, 16)));
}

// ---- Special results ----------------------------------------------------------------------------

const zero = (F: FloatFormat, sign: number) => (sign ? F.signBit : 0n);
const inf = (F: FloatFormat, sign: number) => (sign ? F.signBit | F.infBits : F.infBits);

function invalid(F: FloatFormat): bigint {
  sf.flags |= Flag.NV;
  return F.canonicalNaN;
}

/** Result of an operation with a NaN operand: the canonical NaN, NV if any operand signals. */
function nanResult(F: FloatFormat, ...ops: Unpacked[]): bigint {
  if (ops.some((u) => u.cls === Cls.SNaN)) sf.flags |= Flag.NV;
  return F.canonicalNaN;
}

// ---- Rounding -----------------------------------------------------------------------------------

/** Set by roundShift: whether the discarded part was nonzero. */
let inexact = false;

/**
 * sig / 2^shift rounded to an integer by `rm` (sign: of the value, for the directed modes).
 * `sticky` adds a nonzero amount below sig's last bit; it needs shift >= 2.
 */
function roundShift(sig: bigint, shift: number, sticky: boolean, rm: Rm, sign: number): bigint {
  if (shift <= 0) {
    if (sticky) throw new Error('softfloat: sticky bit without round bits (internal error)');
    inexact = false;
    return sig << BigInt(-shift);
  }
  if (sticky && shift < 2) throw new Error('softfloat: sticky bit without round bits (internal error)');
  const s = BigInt(shift);
  const q = sig >> s;
  const rem = sig - (q << s);
  inexact = rem !== 0n || sticky;
  if (!inexact) return q;
  const half = 1n << (s - 1n);
  let up: boolean;
  switch (rm) {
    case Rm.RNE: up = rem > half || (rem === half && (sticky || (q & 1n) === 1n)); break;
    case Rm.RTZ: up = false; break;
    case Rm.RDN: up = sign === 1; break;
    case Rm.RUP: up = sign === 0; break;
    default: up = rem >= half; break; // RMM: ties (and above) away from zero
  }
  return up ? q + 1n : q;
}

/**
 * Round (-1)^sign * (sig [+ sticky]) * 2^exp to format F by rm, raising NX/UF/OF, and encode.
 * sig > 0.
 */
export function roundPack(F: FloatFormat, sign: number, sig: bigint, exp: number, rm: Rm, sticky = false): bigint {
  const top = exp + bitLen(sig) - 1;
  let qExp = (top < F.emin ? F.emin : top) - F.fracBits;
  let q = roundShift(sig, qExp - exp, sticky, rm, sign);
  const nx = inexact;
  if (q >> BigInt(F.p) !== 0n) { q >>= 1n; qExp += 1; } // rounding carried into a new bit: exact halving
  if (q !== 0n && qExp + F.fracBits > F.emax) {
    sf.flags |= Flag.OF | Flag.NX;
    const toInf = rm === Rm.RNE || rm === Rm.RMM || (rm === Rm.RDN && sign === 1) || (rm === Rm.RUP && sign === 0);
    return toInf ? inf(F, sign) : (sign ? F.signBit : 0n) | F.maxFinite;
  }
  if (nx) {
    sf.flags |= Flag.NX;
    // Tininess after rounding: would the result, rounded to p bits with an unbounded exponent,
    // be below 2^emin? Only a value in [2^(emin-1), 2^emin) can round up to 2^emin.
    let tiny = top < F.emin;
    if (top === F.emin - 1) {
      const q2 = roundShift(sig, top - F.fracBits - exp, sticky, rm, sign);
      tiny = q2 >> BigInt(F.p) === 0n;
    }
    if (tiny) sf.flags |= Flag.UF;
  }
  const s = sign ? F.signBit : 0n;
  if (q < F.hidden) return s | q; // subnormal or zero (qExp is emin - fracBits)
  return s | (BigInt(qExp + F.fracBits + F.bias) << BigInt(F.fracBits)) | (q - F.hidden);
}

// ---- Arithmetic ---------------------------------------------------------------------------------

/** Exact sum of two nonzero finite values, rounded; an exact zero sum is +0 (-0 in RDN). */
function addFinite(F: FloatFormat, sa: number, ma: bigint, ea: number, sb: number, mb: bigint, eb: number, rm: Rm): bigint {
  const e = ea < eb ? ea : eb;
  const a = ma << BigInt(ea - e), b = mb << BigInt(eb - e);
  let s = (sa ? -a : a) + (sb ? -b : b);
  if (s === 0n) return zero(F, rm === Rm.RDN ? 1 : 0);
  const sign = s < 0n ? 1 : 0;
  if (sign) s = -s;
  return roundPack(F, sign, s, e, rm);
}

/** a + b, or a - b when `negB`. */
export function add(F: FloatFormat, a: bigint, b: bigint, rm: Rm, negB = false): bigint {
  const A = unpack(F, a), B = unpack(F, b);
  if (isNaN(A) || isNaN(B)) return nanResult(F, A, B);
  if (negB) B.sign ^= 1;
  if (A.cls === Cls.Inf) return B.cls === Cls.Inf && B.sign !== A.sign ? invalid(F) : inf(F, A.sign);
  if (B.cls === Cls.Inf) return inf(F, B.sign);
  if (A.cls === Cls.Zero && B.cls === Cls.Zero) return zero(F, A.sign === B.sign ? A.sign : rm === Rm.RDN ? 1 : 0);
  if (A.cls === Cls.Zero) return roundPack(F, B.sign, B.sig, B.exp, rm);
  if (B.cls === Cls.Zero) return roundPack(F, A.sign, A.sig, A.exp, rm);
  return addFinite(F, A.sign, A.sig, A.exp, B.sign, B.sig, B.exp, rm);
}

export function mul(F: FloatFormat, a: bigint, b: bigint, rm: Rm): bigint {
  const A = unpack(F, a), B = unpack(F, b);
  if (isNaN(A) || isNaN(B)) return nanResult(F, A, B);
  const sign = A.sign ^ B.sign;
  if (A.cls === Cls.Inf || B.cls === Cls.Inf) return A.cls === Cls.Zero || B.cls === Cls.Zero ? invalid(F) : inf(F, sign);
  if (A.cls === Cls.Zero || B.cls === Cls.Zero) return zero(F, sign);
  return roundPack(F, sign, A.sig * B.sig, A.exp + B.exp, rm);
}

export function div(F: FloatFormat, a: bigint, b: bigint, rm: Rm): bigint {
  const A = unpack(F, a), B = unpack(F, b);
  if (isNaN(A) || isNaN(B)) return nanResult(F, A, B);
  const sign = A.sign ^ B.sign;
  if (A.cls === Cls.Inf) return B.cls === Cls.Inf ? invalid(F) : inf(F, sign);
  if (B.cls === Cls.Inf) return zero(F, sign);
  if (B.cls === Cls.Zero) {
    if (A.cls === Cls.Zero) return invalid(F);
    sf.flags |= Flag.DZ;
    return inf(F, sign);
  }
  if (A.cls === Cls.Zero) return zero(F, sign);
  // Scale the dividend so the quotient has at least p + 2 bits: round and sticky positions exist.
  let k = F.p + 2 + bitLen(B.sig) - bitLen(A.sig);
  if (k < 0) k = 0;
  const num = A.sig << BigInt(k);
  const q = num / B.sig;
  return roundPack(F, sign, q, A.exp - B.exp - k, rm, num !== q * B.sig);
}

/** Floor of the square root of n >= 0. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLen(n) + 1) >> 1); // >= sqrt(n)
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrt(F: FloatFormat, a: bigint, rm: Rm): bigint {
  const A = unpack(F, a);
  if (isNaN(A)) return nanResult(F, A);
  if (A.cls === Cls.Zero) return a; // sqrt(-0) = -0
  if (A.sign) return invalid(F);
  if (A.cls === Cls.Inf) return a;
  // Scale to an even exponent and at least 2(p + 2) bits, so the root has p + 2 bits.
  let k = 2 * (F.p + 2) - bitLen(A.sig);
  if (k < 0) k = 0;
  if (((A.exp - k) & 1) !== 0) k++;
  const n = A.sig << BigInt(k);
  const r = isqrt(n);
  return roundPack(F, 0, r, (A.exp - k) / 2, rm, r * r !== n);
}

/**
 * Fused multiply-add: (+/-)(a * b) (+/-) c with one rounding. negProd negates the product and
 * negC the addend (fmsub: negC; fnmsub: negProd; fnmadd: both), as RISC-V defines them.
 */
export function fma(F: FloatFormat, a: bigint, b: bigint, c: bigint, rm: Rm, negProd: boolean, negC: boolean): bigint {
  const A = unpack(F, a), B = unpack(F, b), C = unpack(F, c);
  if ((A.cls === Cls.Inf && B.cls === Cls.Zero) || (A.cls === Cls.Zero && B.cls === Cls.Inf)) {
    nanResult(F, C);
    return invalid(F);
  }
  if (isNaN(A) || isNaN(B) || isNaN(C)) return nanResult(F, A, B, C);
  const ps = A.sign ^ B.sign ^ (negProd ? 1 : 0);
  const cs = C.sign ^ (negC ? 1 : 0);
  if (A.cls === Cls.Inf || B.cls === Cls.Inf) return C.cls === Cls.Inf && cs !== ps ? invalid(F) : inf(F, ps);
  if (C.cls === Cls.Inf) return inf(F, cs);
  if (A.cls === Cls.Zero || B.cls === Cls.Zero) {
    if (C.cls === Cls.Zero) return zero(F, ps === cs ? ps : rm === Rm.RDN ? 1 : 0);
    return roundPack(F, cs, C.sig, C.exp, rm);
  }
  if (C.cls === Cls.Zero) return roundPack(F, ps, A.sig * B.sig, A.exp + B.exp, rm);
  return addFinite(F, ps, A.sig * B.sig, A.exp + B.exp, cs, C.sig, C.exp, rm);
}

// ---- Comparisons, min/max, classification -------------------------------------------------------

/** A key that orders non-NaN values as numbers (-0 and +0 equal). */
function orderKey(F: FloatFormat, x: bigint): bigint {
  const mag = x & ~F.signBit;
  return (x & F.signBit) !== 0n ? -mag : mag;
}

/** feq: quiet (NV only for a signalling NaN). 1 or 0. */
export function eq(F: FloatFormat, a: bigint, b: bigint): number {
  const A = unpack(F, a), B = unpack(F, b);
  if (isNaN(A) || isNaN(B)) { nanResult(F, A, B); return 0; }
  return orderKey(F, a) === orderKey(F, b) ? 1 : 0;
}

/** flt (orEqual false) and fle (orEqual true): signalling (NV for any NaN). 1 or 0. */
export function lt(F: FloatFormat, a: bigint, b: bigint, orEqual: boolean): number {
  const A = unpack(F, a), B = unpack(F, b);
  if (isNaN(A) || isNaN(B)) { sf.flags |= Flag.NV; return 0; }
  const ka = orderKey(F, a), kb = orderKey(F, b);
  return ka < kb || (orEqual && ka === kb) ? 1 : 0;
}

/** fmin (max false) / fmax (max true): minimumNumber / maximumNumber with -0 < +0. */
export function minMax(F: FloatFormat, a: bigint, b: bigint, max: boolean): bigint {
  const A = unpack(F, a), B = unpack(F, b);
  if (isNaN(A) || isNaN(B)) {
    nanResult(F, A, B);
    if (isNaN(A) && isNaN(B)) return F.canonicalNaN;
    return isNaN(A) ? b : a;
  }
  if (A.cls === Cls.Zero && B.cls === Cls.Zero) return (A.sign === 1) === max ? b : a;
  const aLess = orderKey(F, a) < orderKey(F, b);
  return aLess !== max ? a : b;
}

/** fclass: one of ten bits (-inf, -normal, -subnormal, -0, +0, +subnormal, +normal, +inf, sNaN, qNaN). */
export function classify(F: FloatFormat, a: bigint): number {
  const A = unpack(F, a);
  switch (A.cls) {
    case Cls.SNaN: return 1 << 8;
    case Cls.QNaN: return 1 << 9;
    case Cls.Inf: return A.sign ? 1 << 0 : 1 << 7;
    case Cls.Zero: return A.sign ? 1 << 3 : 1 << 4;
    default: {
      const sub = A.sig < F.hidden;
      return A.sign ? (sub ? 1 << 2 : 1 << 1) : (sub ? 1 << 5 : 1 << 6);
    }
  }
}

// ---- Conversions --------------------------------------------------------------------------------

/**
 * Float to a `width`-bit integer, signed or unsigned, rounded by rm. Out of range (and NaN)
 * saturates with NV and no NX; NaN gives the largest value. Returns the integer (unsigned
 * results as non-negative bigints).
 */
export function toInt(F: FloatFormat, a: bigint, rm: Rm, width: 32 | 64, signed: boolean): bigint {
  const A = unpack(F, a);
  const max = signed ? (1n << BigInt(width - 1)) - 1n : (1n << BigInt(width)) - 1n;
  const min = signed ? -(1n << BigInt(width - 1)) : 0n;
  if (isNaN(A)) { sf.flags |= Flag.NV; return max; }
  if (A.cls === Cls.Inf) { sf.flags |= Flag.NV; return A.sign ? min : max; }
  if (A.cls === Cls.Zero) return 0n;
  const q = A.exp >= 0 ? A.sig << BigInt(A.exp) : roundShift(A.sig, -A.exp, false, rm, A.sign);
  const nx = A.exp < 0 && inexact;
  const v = A.sign ? -q : q;
  if (v > max) { sf.flags |= Flag.NV; return max; }
  if (v < min) { sf.flags |= Flag.NV; return min; }
  if (nx) sf.flags |= Flag.NX;
  return v;
}

/** An integer (any size, as a bigint) to format F, rounded by rm. */
export function fromInt(F: FloatFormat, v: bigint, rm: Rm): bigint {
  if (v === 0n) return 0n;
  return v < 0n ? roundPack(F, 1, -v, 0, rm) : roundPack(F, 0, v, 0, rm);
}

/** Between formats (fcvt.s.d rounds by rm; fcvt.d.s is exact). */
export function convert(to: FloatFormat, from: FloatFormat, a: bigint, rm: Rm): bigint {
  const A = unpack(from, a);
  if (isNaN(A)) return nanResult(to, A);
  if (A.cls === Cls.Inf) return inf(to, A.sign);
  if (A.cls === Cls.Zero) return zero(to, A.sign);
  return roundPack(to, A.sign, A.sig, A.exp, rm);
}
