// Control and status registers (privileged specification 1.12, Zicsr, Sstc).
//
// Each CSR has a permission check (the address encodes its lowest privilege and read-only
// bits, counters add mcounteren/scounteren, satp adds TVM), a read and a write that applies its
// WARL mask. Values are (lo, hi) int32 pairs; reads leave their result in int64.out[0..1].
//
// Implemented: fflags frm fcsr (illegal while mstatus.FS is off) sstatus sie stvec scounteren
// senvcfg sscratch sepc scause stval sip satp stimecmp mstatus misa medeleg mideleg mie mtvec
// mcounteren menvcfg mcountinhibit mhpmevent3-31 mscratch mepc mcause mtval mip pmpcfg0-14
// pmpaddr0-63 mcycle minstret mhpmcounter3-31 cycle time instret hpmcounter3-31 mvendorid marchid
// mimpid mhartid mconfigptr, and the Sdtrig trigger CSRs tselect tdata1-3 tinfo tcontrol mcontext
// scontext (their state and rules are in triggers.ts).

import type { Hart } from './hart.js';
import { Priv, S_IRQ_MASK, IRQ_MASK, Irq } from './trap.js';
import { fromNumber, out, toNumber } from './int64.js';

export const MSTATUS = {
  SIE: 1 << 1,
  MIE: 1 << 3,
  SPIE: 1 << 5,
  MPIE: 1 << 7,
  SPP: 1 << 8,
  MPP: 3 << 11,
  MPRV: 1 << 17,
  SUM: 1 << 18,
  MXR: 1 << 19,
  TVM: 1 << 20,
  TW: 1 << 21,
  TSR: 1 << 22,
  /** Floating-point state: 0 off (FP instructions are illegal), 1 initial, 2 clean, 3 dirty. */
  FS: 3 << 13,
} as const;

/** mstatus.FS = dirty: set by every write to f registers, fflags or frm. */
export const FS_DIRTY = MSTATUS.FS;
/** mstatus[63] (SD, in the high word): FS (or VS, XS, always off here) is dirty. */
const SD_HI = 0x80000000 | 0;

const MSTATUS_WRITABLE = MSTATUS.SIE | MSTATUS.MIE | MSTATUS.SPIE | MSTATUS.MPIE | MSTATUS.SPP | MSTATUS.MPP |
  MSTATUS.MPRV | MSTATUS.SUM | MSTATUS.MXR | MSTATUS.TVM | MSTATUS.TW | MSTATUS.TSR | MSTATUS.FS;
const SSTATUS_MASK = MSTATUS.SIE | MSTATUS.SPIE | MSTATUS.SPP | MSTATUS.SUM | MSTATUS.MXR | MSTATUS.FS;
/** mstatus[63:32]: UXL = SXL = 2 (64-bit); SD (bit 63) is added on read when FS is dirty. */
const MSTATUS_HI = 0xa;
const SSTATUS_HI = 0x2;
/** Exceptions that medeleg can hand to S-mode (not ecall from M or the reserved codes). */
const MEDELEG_WRITABLE = 0xb3ff;
/** misa: MXL = 2, extensions A C D F I M S U. */
const MISA_LO = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);
const MISA_HI = 0x80000000 | 0;

export const CSR = {
  fflags: 0x001, frm: 0x002, fcsr: 0x003,
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, senvcfg: 0x10a,
  sscratch: 0x140, sepc: 0x141, scause: 0x142, stval: 0x143, sip: 0x144, stimecmp: 0x14d, satp: 0x180,
  scontext: 0x5a8,
  mstatus: 0x300, misa: 0x301, medeleg: 0x302, mideleg: 0x303, mie: 0x304, mtvec: 0x305,
  mcounteren: 0x306, menvcfg: 0x30a, mcountinhibit: 0x320,
  mscratch: 0x340, mepc: 0x341, mcause: 0x342, mtval: 0x343, mip: 0x344,
  pmpcfg0: 0x3a0, pmpaddr0: 0x3b0,
  tselect: 0x7a0, tdata1: 0x7a1, tdata2: 0x7a2, tdata3: 0x7a3, tinfo: 0x7a4, tcontrol: 0x7a5, mcontext: 0x7a8,
  mcycle: 0xb00, minstret: 0xb02, cycle: 0xc00, time: 0xc01, instret: 0xc02,
  mvendorid: 0xf11, marchid: 0xf12, mimpid: 0xf13, mhartid: 0xf14, mconfigptr: 0xf15,
} as const;

export interface CsrFile {
  hartId: number;
  mstatus: number;
  medeleg: number;
  mideleg: number;
  mie: number;
  /** mip bits driven by the platform and by the Sstc timer. */
  mipHw: number;
  /** mip bits written by software (SSIP, SEIP, and STIP when Sstc is off). */
  mipSw: number;
  mtvecLo: number; mtvecHi: number;
  stvecLo: number; stvecHi: number;
  mepcLo: number; mepcHi: number;
  sepcLo: number; sepcHi: number;
  mcauseLo: number; mcauseHi: number;
  scauseLo: number; scauseHi: number;
  mtvalLo: number; mtvalHi: number;
  stvalLo: number; stvalHi: number;
  mscratchLo: number; mscratchHi: number;
  sscratchLo: number; sscratchHi: number;
  satpMode: number; satpAsid: number; satpPpn: number;
  mcounteren: number;
  scounteren: number;
  /** menvcfg.STCE: Sstc's stimecmp is live. */
  stce: boolean;
  stimecmpLo: number; stimecmpHi: number;
  /** stimecmp as a number of ticks; Infinity when beyond 2^53. */
  stimecmp: number;
  readonly pmpcfg: Int32Array;
  readonly pmpaddr: Int32Array;
}

export function newCsrFile(hartId: number): CsrFile {
  return {
    hartId, mstatus: 0, medeleg: 0, mideleg: 0, mie: 0, mipHw: 0, mipSw: 0,
    mtvecLo: 0, mtvecHi: 0, stvecLo: 0, stvecHi: 0, mepcLo: 0, mepcHi: 0, sepcLo: 0, sepcHi: 0,
    mcauseLo: 0, mcauseHi: 0, scauseLo: 0, scauseHi: 0, mtvalLo: 0, mtvalHi: 0, stvalLo: 0, stvalHi: 0,
    mscratchLo: 0, mscratchHi: 0, sscratchLo: 0, sscratchHi: 0, satpMode: 0, satpAsid: 0, satpPpn: 0,
    mcounteren: 0, scounteren: 0, stce: false, stimecmpLo: -1, stimecmpHi: -1, stimecmp: Infinity,
    pmpcfg: new Int32Array(32), pmpaddr: new Int32Array(128),
  };
}

/** Whether privilege `priv` may access CSR `addr` (and write it, when `write`). */
export function csrAllowed(h: Hart, addr: number, write: boolean): boolean {
  const priv = h.priv;
  if (priv < ((addr >>> 8) & 3)) return false;
  if (write && (addr >>> 10) === 3) return false;
  const c = h.csr;
  if (addr >= 0xc00 && addr <= 0xc1f) {
    const bit = 1 << (addr - 0xc00);
    if (priv < Priv.M && (c.mcounteren & bit) === 0) return false;
    if (priv === Priv.U && (c.scounteren & bit) === 0) return false;
  }
  if (addr <= CSR.fcsr && (c.mstatus & MSTATUS.FS) === 0) return false;
  if (addr === CSR.satp && priv === Priv.S && (c.mstatus & MSTATUS.TVM) !== 0) return false;
  if (addr === CSR.stimecmp && priv === Priv.S && (!c.stce || (c.mcounteren & 2) === 0)) return false;
  return true;
}

function put(lo: number, hi: number): boolean {
  out[0] = lo; out[1] = hi;
  return true;
}

function putNumber(v: number): boolean {
  fromNumber(v);
  return true;
}

/** Read CSR `addr` into out[0..1]; false when no such CSR exists. */
export function csrRead(h: Hart, addr: number): boolean {
  const c = h.csr;
  const sd = (c.mstatus & MSTATUS.FS) === FS_DIRTY ? SD_HI : 0;
  switch (addr) {
    case CSR.fflags: return put(h.fflags, 0);
    case CSR.frm: return put(h.frm, 0);
    case CSR.fcsr: return put((h.frm << 5) | h.fflags, 0);
    case CSR.sstatus: return put(c.mstatus & SSTATUS_MASK, SSTATUS_HI | sd);
    case CSR.sie: return put(c.mie & c.mideleg, 0);
    case CSR.stvec: return put(c.stvecLo, c.stvecHi);
    case CSR.scounteren: return put(c.scounteren, 0);
    case CSR.senvcfg: return put(0, 0);
    case CSR.sscratch: return put(c.sscratchLo, c.sscratchHi);
    case CSR.sepc: return put(c.sepcLo, c.sepcHi);
    case CSR.scause: return put(c.scauseLo, c.scauseHi);
    case CSR.stval: return put(c.stvalLo, c.stvalHi);
    case CSR.sip: return put(h.mip() & c.mideleg, 0);
    case CSR.stimecmp: return put(c.stimecmpLo, c.stimecmpHi);
    case CSR.satp: {
      fromNumber(c.satpPpn);
      return put(out[0], out[1] | (c.satpAsid << 12) | (c.satpMode << 28));
    }
    case CSR.mstatus: return put(c.mstatus, MSTATUS_HI | sd);
    case CSR.misa: return put(MISA_LO, MISA_HI);
    case CSR.medeleg: return put(c.medeleg, 0);
    case CSR.mideleg: return put(c.mideleg, 0);
    case CSR.mie: return put(c.mie, 0);
    case CSR.mtvec: return put(c.mtvecLo, c.mtvecHi);
    case CSR.mcounteren: return put(c.mcounteren, 0);
    case CSR.menvcfg: return put(0, c.stce ? 0x80000000 | 0 : 0);
    case CSR.mcountinhibit: return put(0, 0);
    case CSR.mscratch: return put(c.mscratchLo, c.mscratchHi);
    case CSR.mepc: return put(c.mepcLo, c.mepcHi);
    case CSR.mcause: return put(c.mcauseLo, c.mcauseHi);
    case CSR.mtval: return put(c.mtvalLo, c.mtvalHi);
    case CSR.mip: return put(h.mip(), 0);
    case CSR.mcycle: case CSR.cycle:
      return putNumber(h.instret + h.runRetired + h.extraCycles + h.cycleOffset);
    case CSR.minstret: case CSR.instret:
      return putNumber(h.instret + h.runRetired + h.instretOffset);
    case CSR.time: return putNumber(h.time());
    case CSR.mvendorid: case CSR.marchid: case CSR.mimpid: case CSR.mconfigptr: return put(0, 0);
    case CSR.mhartid: return put(c.hartId, 0);
    case CSR.tselect: return put(h.triggers.tselect, 0);
    case CSR.tdata1: h.triggers.readTdata1(); return true;
    case CSR.tdata2: h.triggers.readTdata2(); return true;
    case CSR.tdata3: h.triggers.readTdata3(); return true;
    case CSR.tinfo: h.triggers.readTinfo(); return true;
    case CSR.tcontrol: return put(h.triggers.tcontrol, 0);
    case CSR.mcontext: return put(h.triggers.mcontext, 0);
    case CSR.scontext: return put(h.triggers.scontext, 0);
  }
  if (addr >= CSR.pmpcfg0 && addr <= CSR.pmpcfg0 + 15) {
    const i = addr - CSR.pmpcfg0;
    // RV64 has only the even-numbered pmpcfg registers.
    return (i & 1) === 0 && put(c.pmpcfg[i], c.pmpcfg[i + 1]);
  }
  if (addr >= CSR.pmpaddr0 && addr < CSR.pmpaddr0 + 64) {
    const i = (addr - CSR.pmpaddr0) * 2;
    return put(c.pmpaddr[i], c.pmpaddr[i + 1]);
  }
  // Unimplemented performance counters and their events read as zero.
  if ((addr >= 0xb03 && addr <= 0xb1f) || (addr >= 0xc03 && addr <= 0xc1f) || (addr >= 0x323 && addr <= 0x33f)) return put(0, 0);
  return false;
}

/** Write CSR `addr` (which exists and is writable) with (lo, hi), applying its WARL rules. */
export function csrWrite(h: Hart, addr: number, lo: number, hi: number): void {
  const c = h.csr;
  switch (addr) {
    case CSR.fflags: h.fflags = lo & 0x1f; c.mstatus |= FS_DIRTY; return;
    case CSR.frm: h.frm = lo & 7; c.mstatus |= FS_DIRTY; return;
    case CSR.fcsr: h.fflags = lo & 0x1f; h.frm = (lo >>> 5) & 7; c.mstatus |= FS_DIRTY; return;
    case CSR.sstatus:
      c.mstatus = (c.mstatus & ~SSTATUS_MASK) | (lo & SSTATUS_MASK);
      h.flushTlb();
      return;
    case CSR.sie: c.mie = (c.mie & ~c.mideleg) | (lo & c.mideleg); return;
    case CSR.stvec: if ((lo & 3) < 2) { c.stvecLo = lo; c.stvecHi = hi; } return;
    case CSR.scounteren: c.scounteren = lo; return;
    case CSR.sscratch: c.sscratchLo = lo; c.sscratchHi = hi; return;
    case CSR.sepc: c.sepcLo = lo & ~1; c.sepcHi = hi; return;
    case CSR.scause: c.scauseLo = lo; c.scauseHi = hi; return;
    case CSR.stval: c.stvalLo = lo; c.stvalHi = hi; return;
    case CSR.sip: {
      const m = c.mideleg & (1 << Irq.SSI);
      c.mipSw = (c.mipSw & ~m) | (lo & m);
      return;
    }
    case CSR.stimecmp:
      c.stimecmpLo = lo; c.stimecmpHi = hi;
      c.stimecmp = hi >= 0 && hi < 2097152 ? toNumber(lo, hi) : Infinity;
      return;
    case CSR.satp: {
      const mode = hi >>> 28;
      // Only Bare and Sv39 exist here; a write of another mode has no effect (Linux probes so).
      if (mode !== 0 && mode !== 8) return;
      c.satpMode = mode;
      c.satpAsid = (hi >>> 12) & 0xffff;
      c.satpPpn = toNumber(lo, hi & 0xfff);
      h.flushTlb();
      return;
    }
    case CSR.mstatus: {
      let v = (c.mstatus & ~MSTATUS_WRITABLE) | (lo & MSTATUS_WRITABLE);
      if ((v & MSTATUS.MPP) === 2 << 11) v = (v & ~MSTATUS.MPP) | (c.mstatus & MSTATUS.MPP);
      c.mstatus = v;
      h.flushTlb();
      return;
    }
    case CSR.misa: return;
    case CSR.medeleg: c.medeleg = lo & MEDELEG_WRITABLE; return;
    case CSR.mideleg: c.mideleg = lo & S_IRQ_MASK; return;
    case CSR.mie: c.mie = lo & IRQ_MASK; return;
    case CSR.mtvec: if ((lo & 3) < 2) { c.mtvecLo = lo; c.mtvecHi = hi; } return;
    case CSR.mcounteren: c.mcounteren = lo; return;
    case CSR.menvcfg: c.stce = hi < 0; if (!c.stce) c.mipHw &= ~(1 << Irq.STI); return;
    case CSR.mscratch: c.mscratchLo = lo; c.mscratchHi = hi; return;
    case CSR.mepc: c.mepcLo = lo & ~1; c.mepcHi = hi; return;
    case CSR.mcause: c.mcauseLo = lo; c.mcauseHi = hi; return;
    case CSR.mtval: c.mtvalLo = lo; c.mtvalHi = hi; return;
    case CSR.mip: {
      const m = (1 << Irq.SSI) | (1 << Irq.SEI) | (c.stce ? 0 : 1 << Irq.STI);
      c.mipSw = (c.mipSw & ~m) | (lo & m);
      return;
    }
    case CSR.mcycle:
      h.cycleOffset = toNumber(lo, hi) - (h.instret + h.runRetired + h.extraCycles);
      return;
    case CSR.minstret:
      h.instretOffset = toNumber(lo, hi) - (h.instret + h.runRetired) - 1;
      return;
    case CSR.tselect: h.triggers.writeTselect(lo, hi); return;
    case CSR.tdata1:
      h.triggers.writeTdata1(lo, hi);
      // Accesses of a kind a trigger watches must leave the access filters' fast paths.
      h.flushTlb();
      return;
    case CSR.tdata2: h.triggers.writeTdata2(lo, hi); return;
    case CSR.tdata3: h.triggers.writeTdata3(lo, hi); return;
    case CSR.tinfo: return;
    case CSR.tcontrol: h.triggers.writeTcontrol(lo); return;
    case CSR.mcontext: h.triggers.writeMcontext(lo); return;
    case CSR.scontext: h.triggers.writeScontext(lo); return;
  }
  if (addr >= CSR.pmpcfg0 && addr <= CSR.pmpcfg0 + 15) {
    const i = addr - CSR.pmpcfg0;
    c.pmpcfg[i] = lo; c.pmpcfg[i + 1] = hi;
    return;
  }
  if (addr >= CSR.pmpaddr0 && addr < CSR.pmpaddr0 + 64) {
    const i = (addr - CSR.pmpaddr0) * 2;
    c.pmpaddr[i] = lo; c.pmpaddr[i + 1] = hi & 0x3fffff;
  }
  // The remaining writable CSRs (counter events, senvcfg, mcountinhibit) are read-only zero.
}
