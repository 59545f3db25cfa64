// The native-double fast paths (src/vcpu/fp-native.ts) against the exact softfloat path
// (src/vcpu/softfloat.ts): whenever a fast path answers, its result bits and flags must be the
// exact path's under RNE. Inputs are seeded random values chosen to hit the hard cases: random
// bit patterns, operands of nearby exponents, cancellation (c close to -a*b for fma, b close to
// -a for add), exact results (small dyadic values), ties, and values near the fast paths' range
// limits. Also checks softfloat's RNE results against the host's own IEEE double arithmetic,
// an independent reference for the values (not the flags).

import { describe, expect, it } from 'vitest';
import * as N from '../src/vcpu/fp-native.js';
import { F32, F64, sf, add, mul, div, sqrt, fma } from '../src/vcpu/softfloat.js';
import { Rng } from './difftest/rng.js';

/** Random cases per test; FPU_NATIVE_CASES=N runs a longer campaign by hand. */
const CASES = Number(process.env.FPU_NATIVE_CASES ?? 60_000);

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

const dBits = (x: number): bigint => { f64[0] = x; return u64[0]!; };
const dNum = (b: bigint): number => { u64[0] = b; return f64[0]!; };
const sBits = (x: number): bigint => { f32[0] = x; return BigInt(u32[0]!); };
const sNum = (b: bigint): number => { u32[0] = Number(b); return f32[0]!; };

function randomDouble(rng: Rng): number {
  switch (rng.below(6)) {
    case 0: return dNum(rng.u64()); // anything, NaNs included
    case 1: return (rng.below(2) ? -1 : 1) * (1 + rng.below(1 << 20)) * 2 ** (rng.range(-30, 10)); // short dyadic
    case 2: return (rng.u32() / 2 ** 32 + 1) * 2 ** rng.range(-1100, 1100) * (rng.below(2) ? -1 : 1);
    case 3: return (rng.u32() / 2 ** 32 + rng.u32() / 2 ** 64 + 1) * 2 ** rng.range(-8, 8) * (rng.below(2) ? -1 : 1);
    case 4: return rng.pick([0, -0, 1, -1, 2 ** -1074, 2 ** -1022, 1.7976931348623157e308, Infinity, -Infinity, 2 ** 450, 2 ** -450, 2 ** 900, 2 ** -500, 0.5, 3]);
    default: return dNum((BigInt(rng.range(0, 0xfff)) << 52n) | (rng.u64() & 0xfffffffffffffn));
  }
}

function randomFloat(rng: Rng): number {
  switch (rng.below(5)) {
    case 0: return sNum(BigInt(rng.u32()));
    case 1: return (rng.below(2) ? -1 : 1) * (1 + rng.below(1 << 12)) * 2 ** rng.range(-20, 10);
    case 2: return Math.fround((rng.u32() / 2 ** 32 + 1) * 2 ** rng.range(-150, 128) * (rng.below(2) ? -1 : 1));
    case 3: return Math.fround((rng.u32() / 2 ** 32 + 1) * 2 ** rng.range(-4, 4) * (rng.below(2) ? -1 : 1));
    default: return rng.pick([0, -0, 1, -1, 2 ** -149, 2 ** -126, 2 ** -125, 3.4028234663852886e38, Infinity, 0.5, 3]);
  }
}

/** Compare one fast-path answer with the exact path; returns a message on mismatch. */
function check(what: string, fast: number, exact: () => bigint, bits: (x: number) => bigint, hex: (b: bigint) => string): string | null {
  if (fast !== fast) return null; // the fast path declined
  const fastFlags = N.nat.flags;
  sf.flags = 0;
  const want = exact();
  const got = bits(fast);
  if (got !== want || fastFlags !== sf.flags) {
    return `${what}: fast ${hex(got)} flags ${fastFlags}, exact ${hex(want)} flags ${sf.flags}`;
  }
  return null;
}

const hex64 = (b: bigint) => '0x' + b.toString(16).padStart(16, '0');
const hex32 = (b: bigint) => '0x' + b.toString(16).padStart(8, '0');

describe('fp-native fast paths agree with softfloat (RNE)', () => {
  it('binary64 add, sub, mul, div, sqrt, fma', () => {
    const rng = new Rng(1234 + Number(process.env.FPU_NATIVE_SEED ?? 0));
    const bad: string[] = [];
    let answered = 0;
    const N_CASES = CASES;
    for (let i = 0; i < N_CASES && bad.length < 10; i++) {
      const a = randomDouble(rng);
      let b = randomDouble(rng);
      if (rng.chance(0.2)) b = -a * (1 + (rng.range(-4, 4) * 2 ** -52)); // cancellation
      let c = randomDouble(rng);
      if (rng.chance(0.3)) c = -(a * b) * (1 + rng.range(-3, 3) * 2 ** -53); // fma cancellation
      if (rng.chance(0.1)) c = a * b * 2 ** rng.range(-60, -40); // addend tiny beside the product
      const A = dBits(a), B = dBits(b), C = dBits(c);
      const np = rng.chance(0.5), nc = rng.chance(0.5);
      const d = (x: string, fast: number, exact: () => bigint) => {
        if (fast === fast) answered++;
        const m = check(`${x}(${hex64(A)}, ${hex64(B)}, ${hex64(C)})`, fast, exact, dBits, hex64);
        if (m !== null) bad.push(m);
      };
      d('add', N.addD(a, b), () => add(F64, A, B, 0));
      d('sub', N.addD(a, -b), () => add(F64, A, B, 0, true));
      d('mul', N.mulD(a, b), () => mul(F64, A, B, 0));
      d('div', N.divD(a, b), () => div(F64, A, B, 0));
      d('sqrt', N.sqrtD(Math.abs(a)), () => sqrt(F64, dBits(Math.abs(a)), 0));
      d(`fma${np ? 'np' : ''}${nc ? 'nc' : ''}`, N.fmaD(a, b, c, np, nc), () => fma(F64, A, B, C, 0, np, nc));
    }
    if (process.env.FPU_NATIVE_CASES) console.log(`binary64: fast paths answered ${answered} of ${6 * N_CASES}`);
    expect(bad).toEqual([]);
    expect(answered).toBeGreaterThan(N_CASES * 2); // the fast paths answer most cases
  });

  it('binary32 add, sub, mul, div, sqrt, fma', () => {
    const rng = new Rng(99 + Number(process.env.FPU_NATIVE_SEED ?? 0));
    const bad: string[] = [];
    for (let i = 0; i < CASES && bad.length < 10; i++) {
      const a = randomFloat(rng);
      let b = randomFloat(rng);
      if (rng.chance(0.2)) b = Math.fround(-a * (1 + rng.range(-4, 4) * 2 ** -23));
      let c = randomFloat(rng);
      if (rng.chance(0.3)) c = Math.fround(-(a * b) * (1 + rng.range(-3, 3) * 2 ** -24));
      const A = sBits(a), B = sBits(b), C = sBits(c);
      const np = rng.chance(0.5), nc = rng.chance(0.5);
      const s = (x: string, fast: number, exact: () => bigint) => {
        const m = check(`${x}(${hex32(A)}, ${hex32(B)}, ${hex32(C)})`, fast, exact, sBits, hex32);
        if (m !== null) bad.push(m);
      };
      s('add', N.addS(a, b), () => add(F32, A, B, 0));
      s('sub', N.addS(a, -b), () => add(F32, A, B, 0, true));
      s('mul', N.mulS(a, b), () => mul(F32, A, B, 0));
      s('div', N.divS(a, b), () => div(F32, A, B, 0));
      s('sqrt', N.sqrtS(Math.abs(a)), () => sqrt(F32, sBits(Math.abs(a)), 0));
      s(`fma${np ? 'np' : ''}${nc ? 'nc' : ''}`, N.fmaS(a, b, c, np, nc), () => fma(F32, A, B, C, 0, np, nc));
    }
    expect(bad).toEqual([]);
  });

  it('softfloat RNE values equal the host IEEE double arithmetic', () => {
    const rng = new Rng(7);
    const bad: string[] = [];
    for (let i = 0; i < CASES && bad.length < 10; i++) {
      const a = randomDouble(rng), b = randomDouble(rng);
      const A = dBits(a), B = dBits(b);
      const same = (x: string, host: number, ours: bigint) => {
        if (host !== host) {
          if (dNum(ours) === dNum(ours)) bad.push(`${x}(${hex64(A)}, ${hex64(B)}): host NaN, ours ${hex64(ours)}`);
          return;
        }
        if (dBits(host) !== ours) bad.push(`${x}(${hex64(A)}, ${hex64(B)}): host ${hex64(dBits(host))}, ours ${hex64(ours)}`);
      };
      same('add', a + b, add(F64, A, B, 0));
      same('mul', a * b, mul(F64, A, B, 0));
      same('div', a / b, div(F64, A, B, 0));
      same('sqrt', Math.sqrt(a), sqrt(F64, A, 0));
      // binary32 through the host: exact in binary64, then one rounding (Math.fround)
      const fa = Math.fround(a), fb = Math.fround(b);
      const FA = sBits(fa), FB = sBits(fb);
      const sameS = (x: string, host: number, ours: bigint) => {
        if (host !== host) return;
        if (sBits(host) !== ours) bad.push(`${x}.s(${hex32(FA)}, ${hex32(FB)}): host ${hex32(sBits(host))}, ours ${hex32(ours)}`);
      };
      sameS('mul', Math.fround(fa * fb), mul(F32, FA, FB, 0));
      sameS('div', Math.fround(fa / fb), div(F32, FA, FB, 0));
      sameS('sqrt', Math.fround(Math.sqrt(fa)), sqrt(F32, FA, 0));
    }
    expect(bad).toEqual([]);
  });
});
