// The Sdtrig trigger module (src/vcpu/triggers.ts) on a real hart: the WARL rules of tselect,
// tdata1-3, tinfo, tcontrol, mcontext and scontext as Spike has them, and breakpoints on
// execute, load, store and atomic accesses with each match, timing, privilege and chain rule.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CaptureConsole } from '../src/devices/htif.js';
import { runFlat } from '../src/sim/run-flat.js';
import { CSR, csrAllowed, csrRead, csrWrite } from '../src/vcpu/csr.js';
import { FlatMemory } from '../src/vcpu/flat-memory.js';
import { fromBig, out, toBig } from '../src/vcpu/int64.js';
import { Hart, Priv } from '../src/vcpu/hart.js';
import { amo, iOp, iType, load, OPC, store } from './difftest/encode.js';

const RAM = 0x8000_0000n;
const HANDLER = RAM + 0x100n;
const CODE = RAM + 0x1000n;
const DATA = RAM + 0x2000n;
const A0 = 10, A1 = 11, A2 = 12;

const TYPE = (t: bigint) => t << 60n;
const DMODE = 1n << 59n;
// mcontrol (type 2)
const HIT = 1n << 20n, SELECT = 1n << 19n, TIMING = 1n << 18n, CHAIN = 1n << 11n;
const MATCH = (m: bigint) => m << 7n;
const M = 1n << 6n, S = 1n << 4n, U = 1n << 3n, EXECUTE = 4n, STORE = 2n, LOAD = 1n;
// mcontrol6 (type 6)
const HIT1_6 = 1n << 25n, VS_6 = 1n << 24n, VU_6 = 1n << 23n, HIT0_6 = 1n << 22n, SELECT_6 = 1n << 21n, SIZE_6 = 7n << 16n;
const MTE = 8n, MPTE = 0x80n;
const MSTATUS_MIE = 8n, MSTATUS_SIE = 2n;
const DISABLED = TYPE(15n);

function machine() {
  const mem = new FlatMemory({ base: Number(RAM), size: 1 << 16 });
  const hart = new Hart({ port: mem, resetPc: Number(CODE) });
  const w = (addr: number, v: bigint) => { fromBig(v); csrWrite(hart, addr, out[0], out[1]); };
  const r = (addr: number): bigint => {
    expect(csrRead(hart, addr)).toBe(true);
    return BigInt.asUintN(64, toBig(out[0], out[1]));
  };
  const put = (at: bigint, words: number[]) => words.forEach((x, k) => mem.ram.dv.setUint32(Number(at - RAM) + 4 * k, x >>> 0, true));
  const word = (at: bigint) => mem.ram.dv.getUint32(Number(at - RAM), true);
  // The handlers spin in place (jal x0, 0), so that a run longer than needed leaves the trap as it was taken.
  w(CSR.mtvec, HANDLER);
  w(CSR.stvec, HANDLER + 0x80n);
  put(HANDLER, [0x6f]);
  put(HANDLER + 0x80n, [0x6f]);
  /** Trigger `i`: tdata2 then tdata1, as a debugger writes them. */
  const trigger = (i: number, tdata1: bigint, tdata2: bigint) => {
    w(CSR.tselect, BigInt(i));
    w(CSR.tdata2, tdata2);
    w(CSR.tdata1, tdata1);
  };
  /** M-mode triggers fire only with tcontrol.mte set. */
  const armM = () => w(CSR.tcontrol, MTE);
  /** Run from `pc` at `priv` for `n` instructions. */
  const runAt = (pc: bigint, priv: Priv, n = 1) => {
    hart.setPriv(priv);
    hart.pc = Number(pc);
    hart.run(n);
  };
  const trapped = () => ({ cause: r(CSR.mcause), epc: r(CSR.mepc), tval: r(CSR.mtval), pc: BigInt(hart.pc) });
  return { hart, mem, w, r, put, word, trigger, armM, runAt, trapped };
}

const csrrw = (rd: number, csr: number, rs1: number) => iType(OPC.SYSTEM, 1, rd, rs1, csr);
const addi = (rd: number, rs1: number, imm: number) => iOp('addi', rd, rs1, imm);

describe('trigger CSRs', () => {
  it('start disabled, with tselect 0, tinfo naming mcontrol, mcontrol6 and disabled, version 1', () => {
    const { r } = machine();
    expect(r(CSR.tselect)).toBe(0n);
    expect(r(CSR.tdata1)).toBe(DISABLED);
    expect(r(CSR.tdata2)).toBe(0n);
    expect(r(CSR.tdata3)).toBe(0n);
    expect(r(CSR.tinfo)).toBe((1n << 24n) | (1n << 15n) | (1n << 6n) | (1n << 2n));
    expect(r(CSR.tcontrol)).toBe(0n);
    expect(r(CSR.mcontext)).toBe(0n);
    expect(r(CSR.scontext)).toBe(0n);
  });

  it('tselect keeps its value when written with an index past the last trigger', () => {
    const { w, r } = machine();
    for (const i of [3n, 1n, 0n]) {
      w(CSR.tselect, i);
      expect(r(CSR.tselect)).toBe(i);
    }
    w(CSR.tselect, 2n);
    for (const bad of [4n, 5n, 1n << 32n, 1n << 63n, (1n << 64n) - 1n]) {
      w(CSR.tselect, bad);
      expect(r(CSR.tselect)).toBe(2n);
    }
  });

  it('each trigger has its own tdata1-3', () => {
    const { w, r } = machine();
    for (let i = 0; i < 4; i++) {
      w(CSR.tselect, BigInt(i));
      w(CSR.tdata1, TYPE(2n) | M | LOAD);
      w(CSR.tdata2, 0x1000n + BigInt(i));
      w(CSR.tdata3, BigInt(i) << 2n);
    }
    for (let i = 3; i >= 0; i--) {
      w(CSR.tselect, BigInt(i));
      expect(r(CSR.tdata1)).toBe(TYPE(2n) | M | LOAD);
      expect(r(CSR.tdata2)).toBe(0x1000n + BigInt(i));
      expect(r(CSR.tdata3)).toBe(BigInt(i) << 2n);
    }
  });

  it('mcontrol reads back what riscv-tests breakpoint.S writes, and legalizes the rest as Spike does', () => {
    const { w, r } = machine();
    for (const v of [TYPE(2n) | M | EXECUTE, TYPE(2n) | M | LOAD, TYPE(2n) | M | STORE, TYPE(2n) | S | U | STORE | LOAD | MATCH(3n) | CHAIN | HIT]) {
      w(CSR.tdata1, v);
      expect(r(CSR.tdata1)).toBe(v);
    }
    // dmode is read-only 0 outside debug mode; maskmax is 0; action 1 (debug mode) and the
    // trace actions become 0; the size fields read 0.
    w(CSR.tdata1, TYPE(2n) | DMODE | (63n << 53n) | (15n << 12n) | (3n << 21n) | (3n << 16n) | M | STORE);
    expect(r(CSR.tdata1)).toBe(TYPE(2n) | M | STORE);
    // match: 0, 2, 3, 4, 5 kept; NAPOT needs maskmax > 0, so it and the reserved values become 0.
    for (const [m, want] of [[0n, 0n], [1n, 0n], [2n, 2n], [3n, 3n], [4n, 4n], [5n, 5n], [6n, 0n], [8n, 0n], [15n, 0n]]) {
      w(CSR.tdata1, TYPE(2n) | MATCH(m) | M | LOAD);
      expect(r(CSR.tdata1)).toBe(TYPE(2n) | MATCH(want) | M | LOAD);
    }
    // timing: an execute trigger fires before, a load data trigger after, others as asked.
    w(CSR.tdata1, TYPE(2n) | TIMING | M | EXECUTE);
    expect(r(CSR.tdata1)).toBe(TYPE(2n) | M | EXECUTE);
    w(CSR.tdata1, TYPE(2n) | SELECT | M | LOAD);
    expect(r(CSR.tdata1)).toBe(TYPE(2n) | SELECT | TIMING | M | LOAD);
    w(CSR.tdata1, TYPE(2n) | TIMING | M | STORE);
    expect(r(CSR.tdata1)).toBe(TYPE(2n) | TIMING | M | STORE);
  });

  it('mcontrol6 keeps hit0/hit1, select and NAPOT, and reads vs, vu, size and timing as 0', () => {
    const { w, r } = machine();
    const v = TYPE(6n) | HIT1_6 | HIT0_6 | SELECT_6 | MATCH(1n) | CHAIN | M | S | U | EXECUTE | STORE | LOAD;
    w(CSR.tdata1, v | VS_6 | VU_6 | SIZE_6 | (1n << 26n) | (1n << 5n) | DMODE);
    expect(r(CSR.tdata1)).toBe(v);
    w(CSR.tdata1, TYPE(6n) | MATCH(9n) | M | LOAD);
    expect(r(CSR.tdata1)).toBe(TYPE(6n) | M | LOAD);
  });

  it('a write of an unsupported type leaves the trigger disabled (type 15), keeping tdata2 and tdata3', () => {
    const { w, r } = machine();
    w(CSR.tdata2, 0x8000_1234n);
    w(CSR.tdata3, 0x7n << 2n);
    for (const t of [0n, 1n, 3n, 4n, 5n, 7n, 12n, 15n]) {
      w(CSR.tdata1, TYPE(2n) | M | EXECUTE);
      w(CSR.tdata1, TYPE(t) | DMODE | M | S | U | EXECUTE | STORE | LOAD);
      expect(r(CSR.tdata1)).toBe(DISABLED);
      expect(r(CSR.tdata2)).toBe(0x8000_1234n);
      expect(r(CSR.tdata3)).toBe(0x7n << 2n);
    }
  });

  it('tdata3 keeps textra fields, with mhselect 0 or 4 and sselect 0-2 legal', () => {
    const { w, r } = machine();
    const textra = (mhvalue: bigint, mhselect: bigint, sbytemask: bigint, svalue: bigint, sselect: bigint) =>
      (mhvalue << 51n) | (mhselect << 48n) | (sbytemask << 36n) | (svalue << 2n) | sselect;
    w(CSR.tdata3, textra(0x1fffn, 4n, 0x1fn, 0xffff_ffffn, 2n));
    expect(r(CSR.tdata3)).toBe(textra(0x1fffn, 4n, 0x1fn, 0xffff_ffffn, 2n));
    w(CSR.tdata3, textra(0x123n, 5n, 3n, 0xdead_beefn, 3n));
    expect(r(CSR.tdata3)).toBe(textra(0x123n, 4n, 3n, 0xdead_beefn, 0n));
    w(CSR.tdata3, textra(0n, 2n, 0n, 0x3_0000_0001n, 1n));
    expect(r(CSR.tdata3)).toBe(textra(0n, 0n, 0n, 1n, 1n));
  });

  it('tinfo ignores writes; tcontrol keeps mte and mpte; mcontext keeps 13 bits and scontext 32', () => {
    const { w, r } = machine();
    w(CSR.tinfo, 0n);
    expect(r(CSR.tinfo)).toBe(0x0100_8044n);
    w(CSR.tcontrol, (1n << 64n) - 1n);
    expect(r(CSR.tcontrol)).toBe(MTE | MPTE);
    w(CSR.mcontext, (1n << 64n) - 1n);
    expect(r(CSR.mcontext)).toBe(0x1fffn);
    w(CSR.scontext, (1n << 64n) - 1n);
    expect(r(CSR.scontext)).toBe(0xffff_ffffn);
  });

  it('are M-mode registers, but scontext an S-mode one', () => {
    const { hart } = machine();
    for (const a of [CSR.tselect, CSR.tdata1, CSR.tdata2, CSR.tdata3, CSR.tinfo, CSR.tcontrol, CSR.mcontext]) {
      hart.priv = Priv.M;
      expect(csrAllowed(hart, a, true)).toBe(true);
      hart.priv = Priv.S;
      expect(csrAllowed(hart, a, false)).toBe(false);
    }
    hart.priv = Priv.S;
    expect(csrAllowed(hart, CSR.scontext, true)).toBe(true);
    hart.priv = Priv.U;
    expect(csrAllowed(hart, CSR.scontext, false)).toBe(false);
  });

  it('a trap into M-mode moves tcontrol.mte to mpte and mret moves it back; a trap into S leaves it', () => {
    const { w, r, put, runAt } = machine();
    put(CODE, [0x00000073]); // ecall
    put(HANDLER, [0x30200073]); // mret
    w(CSR.tcontrol, MTE);
    runAt(CODE, Priv.U);
    expect(r(CSR.mcause)).toBe(8n);
    expect(r(CSR.tcontrol)).toBe(MPTE);
    runAt(HANDLER, Priv.M);
    expect(r(CSR.tcontrol)).toBe(MPTE | MTE);
    w(CSR.tcontrol, 0n);
    runAt(CODE, Priv.U);
    expect(r(CSR.tcontrol)).toBe(0n);
    w(CSR.medeleg, 1n << 8n);
    w(CSR.tcontrol, MTE);
    runAt(CODE, Priv.U);
    expect(r(CSR.scause)).toBe(8n);
    expect(r(CSR.tcontrol)).toBe(MTE);
  });
});

describe('trigger firing', () => {
  it('an execute trigger raises a breakpoint before the instruction, with its address in mepc and mtval', () => {
    const t = machine();
    t.put(CODE, [addi(A0, A0, 1), addi(A0, A0, 2), addi(A0, A0, 4)]);
    t.trigger(0, TYPE(2n) | M | EXECUTE, CODE + 4n);
    t.armM();
    t.runAt(CODE, Priv.M, 3);
    expect(t.trapped()).toEqual({ cause: 3n, epc: CODE + 4n, tval: CODE + 4n, pc: HANDLER });
    expect(t.hart.getX(A0)).toBe(1n);
    expect(t.r(CSR.tdata1)).toBe(TYPE(2n) | HIT | M | EXECUTE);
    // In the handler (mte now clear) it does not fire again.
    expect(t.r(CSR.tcontrol)).toBe(MPTE);
  });

  it('runs the sequence of riscv-tests breakpoint.S: tcontrol.mte set, mstatus.MIE clear, a handler that skips', () => {
    const t = machine();
    const S0 = 8, S1 = 9, S2 = 18, S3 = 19, T0 = 5, T1 = 6, A3 = 13, A4 = 14;
    const csrrs = (rd: number, csr: number, rs1: number) => iType(OPC.SYSTEM, 2, rd, rs1, csr);
    t.put(CODE, [
      csrrs(0, CSR.tcontrol, T0), csrrw(0, CSR.tselect, 0),
      csrrw(0, CSR.tdata2, A2), csrrw(0, CSR.tdata1, A0), csrrs(A1, CSR.tdata1, 0),
      addi(S0, S0, 1),
      addi(S1, S1, 1), // CODE + 24: the execute breakpoint
      csrrw(0, CSR.tdata1, A3), csrrw(0, CSR.tdata2, A4),
      load('lw', S2, A4, 0), // the load breakpoint
      store('sw', A4, A4, 0), // a load trigger lets stores through
      0x6f, // done: jal x0, 0
    ]);
    // The handler steps over the instruction (all 32-bit here) and counts.
    t.put(HANDLER, [csrrs(T1, CSR.mepc, 0), addi(T1, T1, 4), csrrw(0, CSR.mepc, T1), addi(S3, S3, 1), 0x30200073]);
    t.hart.setX(T0, MTE);
    t.hart.setX(A0, TYPE(2n) | M | EXECUTE);
    t.hart.setX(A2, CODE + 24n);
    t.hart.setX(A3, TYPE(2n) | M | LOAD);
    t.hart.setX(A4, DATA);
    t.put(DATA, [0x1234]);
    t.runAt(CODE, Priv.M, 100);
    expect(t.hart.getX(A1)).toBe(TYPE(2n) | M | EXECUTE);
    expect([t.hart.getX(S0), t.hart.getX(S1), t.hart.getX(S2), t.hart.getX(S3)]).toEqual([1n, 0n, 0n, 2n]);
    expect(t.word(DATA)).toBe(Number(DATA & 0xffff_ffffn));
    expect(BigInt(t.hart.pc)).toBe(CODE + 44n);
    expect(t.r(CSR.mstatus) & MSTATUS_MIE).toBe(0n);
  });

  it('an execute trigger armed by the running code fires in the same run, from the same page', () => {
    const t = machine();
    t.w(CSR.tselect, 0n);
    t.w(CSR.tdata2, CODE + 12n);
    t.armM();
    t.hart.setX(A1, TYPE(2n) | M | EXECUTE);
    t.put(CODE, [csrrw(0, CSR.tdata1, A1), addi(A0, A0, 1), addi(A0, A0, 2), addi(A0, A0, 4)]);
    t.runAt(CODE, Priv.M, 100);
    expect(t.trapped()).toMatchObject({ cause: 3n, epc: CODE + 12n });
    expect(t.hart.getX(A0)).toBe(3n);
  });

  it('M-mode triggers need tcontrol.mte, whatever mstatus.MIE (as riscv-tests breakpoint.S expects); U and S ones their mode bit', () => {
    const t = machine();
    t.put(CODE, [addi(A0, A0, 1)]);
    const fires = (tdata1: bigint, priv: Priv) => {
      t.trigger(1, tdata1, CODE);
      t.w(CSR.mcause, 0n);
      t.hart.setX(A0, 0n);
      t.runAt(CODE, priv);
      return t.r(CSR.mcause) === 3n && t.hart.getX(A0) === 0n;
    };
    expect(fires(TYPE(2n) | M | EXECUTE, Priv.M)).toBe(false); // mte = 0
    t.armM();
    expect(fires(TYPE(2n) | M | EXECUTE, Priv.M)).toBe(true); // MIE = 0
    expect(fires(TYPE(2n) | M | EXECUTE, Priv.M)).toBe(false); // the trap cleared mte
    t.armM();
    t.w(CSR.mstatus, MSTATUS_MIE);
    expect(fires(TYPE(6n) | M | EXECUTE, Priv.M)).toBe(true);
    t.armM();
    expect(fires(TYPE(2n) | S | U | EXECUTE, Priv.M)).toBe(false);
    // Below M mte does not matter.
    t.w(CSR.tcontrol, 0n);
    expect(fires(TYPE(2n) | U | EXECUTE, Priv.U)).toBe(true);
    expect(fires(TYPE(2n) | M | S | EXECUTE, Priv.U)).toBe(false);
    expect(fires(TYPE(2n) | S | EXECUTE, Priv.S)).toBe(true);
    expect(fires(TYPE(2n) | U | EXECUTE, Priv.S)).toBe(false);
    expect(fires(TYPE(2n) | U | LOAD | STORE, Priv.U)).toBe(false);
    expect(fires(DISABLED | U | EXECUTE, Priv.U)).toBe(false);
    expect(fires(TYPE(3n) | U | EXECUTE, Priv.U)).toBe(false);
  });

  it('with breakpoints delegated, an S-mode trigger fires only while sstatus.SIE is set, into S', () => {
    const t = machine();
    t.put(CODE, [addi(A0, A0, 1)]);
    t.w(CSR.medeleg, 1n << 3n);
    t.trigger(0, TYPE(6n) | S | EXECUTE, CODE);
    t.runAt(CODE, Priv.S);
    expect(t.hart.getX(A0)).toBe(1n);
    t.w(CSR.mstatus, MSTATUS_SIE);
    t.runAt(CODE, Priv.S);
    expect(t.hart.getX(A0)).toBe(1n);
    expect([t.r(CSR.scause), t.r(CSR.sepc), t.r(CSR.stval)]).toEqual([3n, CODE, CODE]);
    expect(t.r(CSR.tdata1)).toBe(TYPE(6n) | HIT0_6 | S | EXECUTE);
  });

  it('a load trigger fires before the load even when the page was in the access filter', () => {
    const t = machine();
    t.put(DATA, [0x1111, 0x2222]);
    t.hart.setX(A1, DATA);
    t.put(CODE, [load('lw', A0, A1, 4), store('sw', A0, A1, 4), load('lw', A0, A1, 4)]);
    t.runAt(CODE, Priv.U, 3); // warms the load and store filters for the page
    expect(t.hart.getX(A0)).toBe(0x2222n);
    t.trigger(0, TYPE(2n) | U | LOAD, DATA + 4n);
    t.hart.setX(A0, 0n);
    t.runAt(CODE + 4n, Priv.U); // the store does not fire a load trigger
    t.runAt(CODE + 8n, Priv.U);
    expect(t.trapped()).toEqual({ cause: 3n, epc: CODE + 8n, tval: DATA + 4n, pc: HANDLER });
    expect(t.hart.getX(A0)).toBe(0n);
  });

  it('a store trigger fires before the store, which does not happen', () => {
    const t = machine();
    t.hart.setX(A1, DATA);
    t.hart.setX(A0, 0x5555n);
    t.put(CODE, [store('sd', A0, A1, 8)]);
    t.trigger(0, TYPE(6n) | U | STORE, DATA + 8n);
    t.runAt(CODE, Priv.U);
    expect(t.trapped()).toEqual({ cause: 3n, epc: CODE, tval: DATA + 8n, pc: HANDLER });
    expect(t.word(DATA + 8n)).toBe(0);
  });

  it('mcontrol timing=1 lets the store happen and takes the breakpoint at the next instruction', () => {
    const t = machine();
    t.hart.setX(A1, DATA);
    t.hart.setX(A0, 0x5555n);
    t.put(CODE, [store('sw', A0, A1, 0), addi(A2, A2, 1)]);
    t.trigger(0, TYPE(2n) | TIMING | U | STORE, DATA);
    // One instruction: the store retires, and the breakpoint is taken before the next.
    const before = t.hart.instret;
    t.runAt(CODE, Priv.U, 1);
    expect(t.trapped()).toEqual({ cause: 3n, epc: CODE + 4n, tval: DATA, pc: HANDLER });
    expect(t.word(DATA)).toBe(0x5555);
    expect(t.hart.getX(A2)).toBe(0n);
    expect(t.hart.instret - before).toBe(1);
    expect(t.r(CSR.tdata1)).toBe(TYPE(2n) | HIT | TIMING | U | STORE);
  });

  it('matches >= and <, chained into a range, NAPOT and the masks', () => {
    const t = machine();
    t.put(CODE, [load('lbu', A0, A1, 0)]);
    const fires = (addr: bigint) => {
      t.w(CSR.mcause, 0n);
      t.hart.setX(A1, addr);
      t.runAt(CODE, Priv.U);
      return t.r(CSR.mcause) === 3n;
    };
    t.trigger(0, TYPE(2n) | MATCH(2n) | U | LOAD, DATA + 0x10n);
    expect([fires(DATA + 0xfn), fires(DATA + 0x10n), fires(DATA + 0x40n)]).toEqual([false, true, true]);
    t.trigger(0, TYPE(2n) | MATCH(3n) | U | LOAD, DATA + 0x10n);
    expect([fires(DATA + 0xfn), fires(DATA + 0x10n)]).toEqual([true, false]);
    // [DATA + 0x10, DATA + 0x20): >= chained to <.
    t.trigger(0, TYPE(2n) | MATCH(2n) | CHAIN | U | LOAD, DATA + 0x10n);
    t.trigger(1, TYPE(2n) | MATCH(3n) | U | LOAD, DATA + 0x20n);
    expect([fires(DATA + 0xfn), fires(DATA + 0x10n), fires(DATA + 0x1fn), fires(DATA + 0x20n)]).toEqual([false, true, true, false]);
    t.w(CSR.tselect, 0n);
    expect(t.r(CSR.tdata1) & HIT).toBe(HIT);
    // A chain whose last trigger is disabled never fires.
    t.trigger(1, DISABLED, 0n);
    expect(fires(DATA + 0x10n)).toBe(false);
    t.trigger(0, DISABLED, 0n);
    // NAPOT (mcontrol6): DATA + 0x40 .. + 0x4f.
    t.trigger(2, TYPE(6n) | MATCH(1n) | U | LOAD, DATA + 0x47n);
    expect([fires(DATA + 0x3fn), fires(DATA + 0x40n), fires(DATA + 0x4fn), fires(DATA + 0x50n)]).toEqual([false, true, true, false]);
    // Mask low: the low word ANDed with tdata2's high word equals tdata2's low word.
    t.trigger(2, TYPE(2n) | MATCH(4n) | U | LOAD, (0xffff_ff0fn << 32n) | ((DATA + 0x3n) & 0xffff_ff0fn));
    expect([fires(DATA + 0x3n), fires(DATA + 0x73n), fires(DATA + 0x4n)]).toEqual([true, true, false]);
    // Mask high: the high word likewise (it is 0 here).
    t.trigger(2, TYPE(2n) | MATCH(5n) | U | LOAD, (0xffff_ffffn << 32n) | 1n);
    expect(fires(DATA)).toBe(false);
    t.trigger(2, TYPE(2n) | MATCH(5n) | U | LOAD, 0xffff_ffffn << 32n);
    expect(fires(DATA)).toBe(true);
  });

  it('data triggers compare the value: stores before, loads after with the value loaded', () => {
    const t = machine();
    t.hart.setX(A1, DATA);
    t.put(DATA, [0xffff_fff0]);
    t.put(CODE, [store('sw', A0, A1, 4), load('lw', A0, A1, 0), addi(A2, A2, 1)]);
    t.trigger(0, TYPE(2n) | SELECT | U | STORE, 0x1234n);
    t.hart.setX(A0, 0x1233n);
    t.runAt(CODE, Priv.U);
    expect(t.word(DATA + 4n)).toBe(0x1233);
    t.w(CSR.mcause, 0n);
    t.hart.setX(A0, 0x1234n);
    t.runAt(CODE, Priv.U);
    expect(t.trapped()).toMatchObject({ cause: 3n, epc: CODE, tval: DATA + 4n });
    expect(t.word(DATA + 4n)).toBe(0x1233);
    // The loaded word is compared zero-extended, before lw sign-extends it.
    t.trigger(0, TYPE(6n) | SELECT_6 | U | LOAD, 0xffff_fff0n);
    t.runAt(CODE + 4n, Priv.U, 2);
    expect(t.trapped()).toEqual({ cause: 3n, epc: CODE + 8n, tval: DATA, pc: HANDLER });
    expect(t.hart.getX(A0)).toBe(0xffff_ffff_ffff_fff0n);
    expect(t.hart.getX(A2)).toBe(0n);
    expect(t.r(CSR.tdata1)).toBe(TYPE(6n) | HIT1_6 | HIT0_6 | SELECT_6 | U | LOAD);
  });

  it('an execute data trigger compares the instruction bits', () => {
    const t = machine();
    const insn = addi(A0, A0, 5);
    t.put(CODE, [addi(A0, A0, 1), insn]);
    t.trigger(3, TYPE(2n) | SELECT | U | EXECUTE, BigInt(insn));
    t.runAt(CODE, Priv.U, 2);
    expect(t.trapped()).toMatchObject({ cause: 3n, epc: CODE + 4n, tval: CODE + 4n });
    expect(t.hart.getX(A0)).toBe(1n);
  });

  it('an AMO is a load and a store to the triggers; LR a load; only an SC that stores a store', () => {
    const t = machine();
    t.hart.setX(A1, DATA);
    t.hart.setX(A2, 5n);
    t.put(DATA, [10]);
    t.put(CODE, [amo('amoadd', 'w', A0, A1, A2), amo('lr', 'd', A0, A1, 0), amo('sc', 'd', A0, A1, A2)]);
    for (const kind of [LOAD, STORE]) {
      t.trigger(0, TYPE(2n) | U | kind, DATA);
      t.w(CSR.mcause, 0n);
      t.runAt(CODE, Priv.U);
      expect(t.trapped()).toMatchObject({ cause: 3n, epc: CODE, tval: DATA });
      expect(t.word(DATA)).toBe(10);
    }
    // The store data trigger sees the sum the AMO would write.
    t.trigger(0, TYPE(2n) | SELECT | U | STORE, 15n);
    t.w(CSR.mcause, 0n);
    t.runAt(CODE, Priv.U);
    expect(t.r(CSR.mcause)).toBe(3n);
    t.trigger(0, TYPE(2n) | SELECT | U | STORE, 16n);
    t.runAt(CODE, Priv.U);
    expect(t.word(DATA)).toBe(15);
    t.trigger(0, TYPE(2n) | U | LOAD, DATA);
    t.w(CSR.mcause, 0n);
    t.runAt(CODE + 4n, Priv.U);
    expect(t.trapped()).toMatchObject({ cause: 3n, epc: CODE + 4n });
    // An SC without a reservation stores nothing and fires no store trigger.
    t.trigger(0, TYPE(2n) | U | STORE, DATA);
    t.w(CSR.mcause, 0n);
    t.runAt(CODE + 8n, Priv.U);
    expect(t.r(CSR.mcause)).toBe(0n);
    expect(t.hart.getX(A0)).toBe(1n);
    t.trigger(0, DISABLED, 0n);
    t.runAt(CODE + 4n, Priv.U);
    t.trigger(0, TYPE(2n) | U | STORE, DATA);
    t.runAt(CODE + 8n, Priv.U);
    expect(t.trapped()).toMatchObject({ cause: 3n, epc: CODE + 8n, tval: DATA });
    expect(t.word(DATA)).toBe(15);
  });

  it('textra: an ASID trigger fires only under that ASID, an mcontext one only with that mcontext', () => {
    const t = machine();
    t.put(CODE, [addi(A0, A0, 1)]);
    const fires = () => {
      t.w(CSR.mcause, 0n);
      t.runAt(CODE, Priv.U);
      return t.r(CSR.mcause) === 3n;
    };
    t.trigger(0, TYPE(2n) | U | EXECUTE, CODE);
    t.w(CSR.tdata3, (7n << 2n) | 2n);
    t.w(CSR.satp, 7n << 44n);
    expect(fires()).toBe(true);
    t.w(CSR.satp, 8n << 44n);
    expect(fires()).toBe(false);
    t.w(CSR.tdata3, (0x55n << 51n) | (4n << 48n));
    t.w(CSR.mcontext, 0x54n);
    expect(fires()).toBe(false);
    t.w(CSR.mcontext, 0x55n);
    expect(fires()).toBe(true);
    // scontext, with byte 0 left out of the comparison by sbytemask.
    t.w(CSR.tdata3, (1n << 36n) | (0x1200n << 2n) | 1n);
    t.w(CSR.scontext, 0x12ffn);
    expect(fires()).toBe(true);
    t.w(CSR.scontext, 0x13ffn);
    expect(fires()).toBe(false);
  });
});

describe('the priv-trigger guest', () => {
  it('passes, and finds the whole trigger module', () => {
    const sink = new CaptureConsole();
    const kernel = join(fileURLToPath(new URL('..', import.meta.url)), 'guest', 'build', 'priv-trigger.elf');
    const r = runFlat({ kernel, console: sink, maxInsns: 2e7 });
    const text = sink.text();
    expect(r.exitCode, text).toBe(0);
    expect(text).toContain('priv-trigger: PASS');
    // What the guest probed: the lines an implementation may answer otherwise (QEMU 7.2 has 2
    // triggers, tinfo 0x44, equal matches only, mtval 0 and no tcontrol).
    for (const line of [
      '4 triggers, tinfo 0x1008044',
      'unsupported type 1 reads as type 15',
      'tval: address',
      'type 2: ge/lt yes, chain yes, napot no',
      'type 6: ge/lt yes, chain yes, napot yes',
      'type 2: hit yes',
      'type 6: hit yes',
      'store timing after: yes',
      'select: yes',
      'load data: after',
      'tcontrol: yes',
      'M-mode triggers with MIE=0: fire',
      'mcontext: yes',
    ]) expect(text).toContain(`    ${line}\n`);
  });
});
