// The trigger module of the Sdtrig extension (RISC-V debug specification 1.0, chapter 5): the
// hardware breakpoints and watchpoints that software sets through tselect/tdata1-3, as Spike
// (riscv/triggers.cc) has them. This file keeps the triggers' state, the CSRs' WARL rules and
// the matching; the hart decides when to ask (hart.ts, memory-access.ts) and takes the trap.
//
// CSRs (all M-mode but scontext):
//   0x7a0 tselect   index of the trigger that tdata1-3/tinfo show; a write >= TRIGGERS is ignored
//   0x7a1 tdata1    type[63:60] dmode[59] and the type's fields:
//                     mcontrol (2):  maskmax[58:53]=0 hit[20] select[19] timing[18] action[15:12]
//                                    chain[11] match[10:7] m[6] s[4] u[3] execute[2] store[1] load[0]
//                     mcontrol6 (6): hit1[25] vs[24]=0 vu[23]=0 hit0[22] select[21] action[15:12]
//                                    chain[11] match[10:7] m[6] s[4] u[3] execute[2] store[1] load[0]
//                     disabled (15): nothing else
//   0x7a2 tdata2    the address (or data, select=1) compared
//   0x7a3 tdata3    textra64: mhvalue[63:51] mhselect[50:48] sbytemask[40:36] svalue[33:2] sselect[1:0]
//   0x7a4 tinfo     types supported (bits 2, 6, 15) and version[31:24] = 1 (Sdtrig 1.0)
//   0x7a5 tcontrol  mpte[7] mte[3]: a trap into M saves mte in mpte and clears it; mret restores it
//   0x7a8 mcontext  13 bits, compared when mhselect = 4
//   0x5a8 scontext  32 bits, compared when sselect = 1
//
// Legalization (as Spike): writing another type to tdata1 makes the trigger disabled (type 15);
// tdata2 and tdata3 survive a change of type. dmode reads 0 (there is no debug mode) and action
// 0, the breakpoint exception, is the only action (debug mode and trace have nothing to act on
// here, so 1-15 read back as 0). match 0 equal, 2 >=, 3 <, 4 mask low, 5 mask high, and 1 NAPOT
// for mcontrol6 only (mcontrol's maskmax is 0); other values become 0. Execute triggers fire
// before the instruction, data (select=1) load triggers after the load, and mcontrol may ask for
// timing=1 (after) on its address triggers. The size fields and vs/vu read 0.
//
// Firing (action 0): a trigger matches only in a privilege whose m/s/u bit is set, only when its
// textra conditions hold, and never in M-mode unless tcontrol.mte = 1, nor in S-mode with
// breakpoints delegated (medeleg[3]) unless sstatus.SIE = 1, so that a trap handler does not
// trip its own trigger. Spike asks for mstatus.MIE in M-mode as well; the specification asks
// for one of the two protections, and riscv-tests' breakpoint.S, which sets mte and leaves MIE
// clear, expects a hart that has tcontrol to fire. A chain (chain=1 on all but its last trigger)
// fires when every trigger in it matches. A trigger that matches sets its hit bits (mcontrol6:
// hit0 for before, hit0 and hit1 for after) and raises a breakpoint whose tval is the address.

import { MSTATUS, type CsrFile } from './csr.js';
import { Access } from './port.js';
import { Cause, Priv } from './trap.js';
import { ltu64, out } from './int64.js';

/** Triggers in the module (Spike's default). */
export const TRIGGERS = 4;

const TYPE_MCONTROL = 2;
const TYPE_MCONTROL6 = 6;
const TYPE_DISABLED = 15;

/** Bits of `armed`, by access kind. */
export const TRIG_FETCH = 1 << Access.Fetch;
export const TRIG_LOAD = 1 << Access.Load;
export const TRIG_STORE = 1 << Access.Store;

/** Results of matchAccess(): no trigger fires, or the first that does fires before or after the access. */
export const MATCH_NONE = -1;
export const TIMING_BEFORE = 0;
const TIMING_AFTER = 1;

const TCONTROL_MTE = 1 << 3;
const TCONTROL_MPTE = 1 << 7;
const MCONTEXT_MASK = 0x1fff;
const TINFO = (1 << TYPE_MCONTROL) | (1 << TYPE_MCONTROL6) | (1 << TYPE_DISABLED) | (1 << 24);

const enum Match { Equal = 0, Napot = 1, Ge = 2, Lt = 3, MaskLow = 4, MaskHigh = 5 }
const enum Sselect { Ignore = 0, Scontext = 1, Asid = 2 }
const MHSELECT_MCONTEXT = 4;
const BREAKPOINT_BIT = 1 << Cause.Breakpoint;

export class Triggers {
  tselect = 0;
  tcontrol = 0;
  mcontext = 0;
  scontext = 0;
  /** Access kinds (TRIG_*) that some mcontrol/mcontrol6 trigger watches: the hart checks those. */
  armed = 0;
  /** Access kinds that some trigger watches by data value (select=1). */
  armedData = 0;

  // Per trigger. modes: bit p set when the trigger matches at privilege p; ops: the TRIG_* bits
  // (execute, load, store); hit: mcontrol6's {hit1, hit0}, or mcontrol's hit in bit 0.
  readonly type = new Uint8Array(TRIGGERS).fill(TYPE_DISABLED);
  readonly hit = new Uint8Array(TRIGGERS);
  readonly select = new Uint8Array(TRIGGERS);
  readonly timing = new Uint8Array(TRIGGERS);
  readonly chain = new Uint8Array(TRIGGERS);
  readonly match = new Uint8Array(TRIGGERS);
  readonly modes = new Uint8Array(TRIGGERS);
  readonly ops = new Uint8Array(TRIGGERS);
  readonly tdata2Lo = new Int32Array(TRIGGERS);
  readonly tdata2Hi = new Int32Array(TRIGGERS);
  // textra (tdata3).
  readonly mhvalue = new Uint16Array(TRIGGERS);
  readonly mhselect = new Uint8Array(TRIGGERS);
  readonly sbytemask = new Uint8Array(TRIGGERS);
  readonly svalue = new Int32Array(TRIGGERS);
  readonly sselect = new Uint8Array(TRIGGERS);

  constructor(private readonly csr: CsrFile) {}

  // ---- CSRs; reads leave the value in int64.out[0..1] ----

  writeTselect(lo: number, hi: number): void {
    if (hi === 0 && lo >>> 0 < TRIGGERS) this.tselect = lo;
  }

  readTdata1(): void {
    const i = this.tselect;
    const t = this.type[i];
    const o = this.ops[i], m = this.modes[i];
    const fields = (this.chain[i] << 11) | (this.match[i] << 7) |
      (((m >>> Priv.M) & 1) << 6) | (((m >>> Priv.S) & 1) << 4) | (((m >>> Priv.U) & 1) << 3) |
      ((o & TRIG_FETCH) !== 0 ? 4 : 0) | ((o & TRIG_STORE) !== 0 ? 2 : 0) | ((o & TRIG_LOAD) !== 0 ? 1 : 0);
    if (t === TYPE_MCONTROL) {
      out[0] = (this.hit[i] << 20) | (this.select[i] << 19) | (this.timing[i] << 18) | fields;
    } else if (t === TYPE_MCONTROL6) {
      out[0] = ((this.hit[i] >> 1) << 25) | ((this.hit[i] & 1) << 22) | (this.select[i] << 21) | fields;
    } else {
      out[0] = 0;
    }
    out[1] = t << 28;
  }

  writeTdata1(lo: number, hi: number): void {
    const i = this.tselect;
    const t = hi >>> 28;
    this.hit[i] = this.select[i] = this.timing[i] = this.chain[i] = this.match[i] = this.modes[i] = this.ops[i] = 0;
    if (t !== TYPE_MCONTROL && t !== TYPE_MCONTROL6) {
      this.type[i] = TYPE_DISABLED;
      this.update();
      return;
    }
    this.type[i] = t;
    const execute = (lo >>> 2) & 1, store = (lo >>> 1) & 1, load = lo & 1;
    const select = t === TYPE_MCONTROL ? (lo >>> 19) & 1 : (lo >>> 21) & 1;
    this.select[i] = select;
    this.hit[i] = t === TYPE_MCONTROL ? (lo >>> 20) & 1 : (((lo >>> 25) & 1) << 1) | ((lo >>> 22) & 1);
    // A load data trigger fires after the load, so that its value is known; an execute
    // trigger before the instruction; mcontrol6 has no timing field and fires before otherwise.
    const asked = t === TYPE_MCONTROL ? (lo >>> 18) & 1 : TIMING_BEFORE;
    this.timing[i] = select !== 0 && load !== 0 ? TIMING_AFTER : execute !== 0 ? TIMING_BEFORE : asked;
    this.chain[i] = (lo >>> 11) & 1;
    this.match[i] = legalMatch((lo >>> 7) & 15, t === TYPE_MCONTROL6);
    this.modes[i] = (((lo >>> 6) & 1) << Priv.M) | (((lo >>> 4) & 1) << Priv.S) | (((lo >>> 3) & 1) << Priv.U);
    this.ops[i] = (execute !== 0 ? TRIG_FETCH : 0) | (load !== 0 ? TRIG_LOAD : 0) | (store !== 0 ? TRIG_STORE : 0);
    this.update();
  }

  readTdata2(): void {
    out[0] = this.tdata2Lo[this.tselect];
    out[1] = this.tdata2Hi[this.tselect];
  }

  writeTdata2(lo: number, hi: number): void {
    this.tdata2Lo[this.tselect] = lo;
    this.tdata2Hi[this.tselect] = hi;
  }

  readTdata3(): void {
    const i = this.tselect;
    const sv = this.svalue[i];
    out[0] = (sv << 2) | this.sselect[i];
    out[1] = (this.mhvalue[i] << 19) | (this.mhselect[i] << 16) | (this.sbytemask[i] << 4) | (sv >>> 30);
  }

  writeTdata3(lo: number, hi: number): void {
    const i = this.tselect;
    this.mhvalue[i] = hi >>> 19;
    // Without the hypervisor extension only 0 (ignore) and 4 (mcontext) are legal.
    this.mhselect[i] = ((hi >>> 16) & 4) !== 0 ? MHSELECT_MCONTEXT : 0;
    this.sbytemask[i] = (hi >>> 4) & 31;
    this.svalue[i] = (lo >>> 2) | (hi << 30);
    const ss = lo & 3;
    this.sselect[i] = ss <= Sselect.Asid ? ss : Sselect.Ignore;
  }

  readTinfo(): void {
    out[0] = TINFO;
    out[1] = 0;
  }

  writeTcontrol(lo: number): void {
    this.tcontrol = lo & (TCONTROL_MTE | TCONTROL_MPTE);
  }

  writeMcontext(lo: number): void {
    this.mcontext = lo & MCONTEXT_MASK;
  }

  writeScontext(lo: number): void {
    this.scontext = lo;
  }

  /** A trap into M-mode: M-mode triggers are off until mret (tcontrol.mpte keeps what mte was). */
  trapToM(): void {
    this.tcontrol = (this.tcontrol & TCONTROL_MTE) !== 0 ? TCONTROL_MPTE : 0;
  }

  mret(): void {
    this.tcontrol = (this.tcontrol & TCONTROL_MPTE) !== 0 ? TCONTROL_MPTE | TCONTROL_MTE : 0;
  }

  // ---- Matching ----

  /**
   * Whether a trigger fires on an access of kind `op` at privilege `priv` to the address
   * (lo, hi), with its data value (dlo, dhi) when `hasData`: MATCH_NONE, or the timing of the
   * first (lowest-numbered) trigger or chain that fires. Every trigger that matches gets its
   * hit bits set, as in Spike. The access is checked twice where the data comes later (loads
   * and fetches): first by address, then with the data.
   */
  matchAccess(op: Access, priv: Priv, lo: number, hi: number, hasData: boolean, dlo: number, dhi: number): number {
    if (!this.mayFire(priv)) return MATCH_NONE;
    const bit = 1 << op;
    let result = MATCH_NONE;
    let chainOk = true;
    for (let i = 0; i < TRIGGERS; i++) {
      const chained = this.chain[i] !== 0;
      if (!chainOk) {
        chainOk = !chained;
        continue;
      }
      const m = (this.ops[i] & bit) !== 0 && ((this.modes[i] >>> priv) & 1) !== 0 && this.textraMatch(i) &&
        (this.select[i] === 0 ? this.valueMatch(i, lo, hi) : hasData && this.valueMatch(i, dlo, dhi));
      if (m) {
        this.hit[i] = this.type[i] === TYPE_MCONTROL6 ? (this.timing[i] === TIMING_AFTER ? 3 : 1) : 1;
        if (!chained && result === MATCH_NONE) result = this.timing[i];
      }
      chainOk = m || !chained;
    }
    return result;
  }

  /**
   * Action 0 (the breakpoint exception) is the only action; it must not fire where the trap it
   * raises would re-enter the handler that is running.
   */
  private mayFire(priv: Priv): boolean {
    const c = this.csr;
    if (priv === Priv.M) return (this.tcontrol & TCONTROL_MTE) !== 0;
    if (priv === Priv.S) return (c.medeleg & BREAKPOINT_BIT) === 0 || (c.mstatus & MSTATUS.SIE) !== 0;
    return true;
  }

  private textraMatch(i: number): boolean {
    const ss = this.sselect[i];
    if (ss === Sselect.Scontext) {
      let mask = -1;
      for (let b = 0; b < 4; b++) if (((this.sbytemask[i] >>> b) & 1) !== 0) mask &= ~(0xff << (8 * b));
      if ((this.scontext & mask) !== (this.svalue[i] & mask)) return false;
    } else if (ss === Sselect.Asid) {
      if (this.csr.satpAsid !== (this.svalue[i] & 0xffff)) return false;
    }
    return this.mhselect[i] !== MHSELECT_MCONTEXT || this.mcontext === this.mhvalue[i];
  }

  private valueMatch(i: number, lo: number, hi: number): boolean {
    const tl = this.tdata2Lo[i], th = this.tdata2Hi[i];
    switch (this.match[i]) {
      case Match.Equal: return lo === tl && hi === th;
      case Match.Napot: {
        // Compare all but the trailing ones of tdata2 and the zero above them.
        const ignore = trailingOnes(tl, th) + 1;
        if (ignore >= 64) return true;
        if (ignore >= 32) return ((hi ^ th) >>> (ignore - 32)) === 0;
        return hi === th && ((lo ^ tl) >>> ignore) === 0;
      }
      case Match.Ge: return !ltu64(lo, hi, tl, th);
      case Match.Lt: return ltu64(lo, hi, tl, th);
      case Match.MaskLow: return (lo & th) === tl;
      case Match.MaskHigh: return (hi & th) === tl;
    }
    return false;
  }

  private update(): void {
    let armed = 0, data = 0;
    for (let i = 0; i < TRIGGERS; i++) {
      armed |= this.ops[i];
      if (this.select[i] !== 0) data |= this.ops[i];
    }
    this.armed = armed;
    this.armedData = data;
  }
}

function legalMatch(m: number, napot: boolean): number {
  if (m === Match.Napot) return napot ? m : Match.Equal;
  return m <= Match.MaskHigh ? m : Match.Equal;
}

function trailingOnes(lo: number, hi: number): number {
  if (lo !== -1) return 31 - Math.clz32(~lo & (lo + 1));
  if (hi !== -1) return 32 + 31 - Math.clz32(~hi & (hi + 1));
  return 64;
}
