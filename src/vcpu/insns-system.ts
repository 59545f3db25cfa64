// Zicsr and privileged instructions: csrr*, ecall, ebreak, mret, sret, wfi, sfence.vma, and the
// illegal-instruction catch-all. xRET follows Spike's mret.h/sret.h, one mstatus field at a time.

import type { Handler } from './handlers.js';
import type { Hart } from './hart.js';
import { Status } from './status.js';
import { Cause, Irq, Priv } from './trap.js';
import { CSR, MSTATUS, csrAllowed, csrRead, csrWrite } from './csr.js';
import { out } from './int64.js';

const enum CsrOp { Write, Set, Clear }

const SEIP = 1 << Irq.SEI;

function csr(h: Hart, rd: number, src: number, addr: number, op: CsrOp, immediate: boolean): number {
  // csrrs/csrrc with x0 (or uimm 0) read without writing; csrrw always writes.
  const writes = op === CsrOp.Write || src !== 0;
  if (!csrAllowed(h, addr, writes) || !csrRead(h, addr)) return h.illegal();
  const ol = out[0], oh = out[1];
  if (writes) {
    const sl = immediate ? src : h.xl[src], sh = immediate ? 0 : h.xh[src];
    // mip.SEIP reads as the software bit OR the platform's line, but a read-modify-write of mip
    // works on the software bit alone (privileged spec 3.1.9), or the line would stick.
    const base = addr === CSR.mip ? (ol & ~SEIP) | (h.csr.mipSw & SEIP) : ol;
    const nl = op === CsrOp.Write ? sl : op === CsrOp.Set ? base | sl : base & ~sl;
    const nh = op === CsrOp.Write ? sh : op === CsrOp.Set ? oh | sh : oh & ~sh;
    csrWrite(h, addr, nl, nh);
  }
  h.xl[rd] = ol; h.xh[rd] = oh;
  return writes ? Status.Event : Status.Ok;
}

function mret(h: Hart): number {
  if (h.priv < Priv.M) return h.illegal();
  const c = h.csr;
  let s = c.mstatus;
  const mpp = ((s >>> 11) & 3) as Priv;
  s = (s & ~MSTATUS.MIE) | ((s & MSTATUS.MPIE) !== 0 ? MSTATUS.MIE : 0);
  s |= MSTATUS.MPIE;
  s &= ~MSTATUS.MPP;
  if (mpp !== Priv.M) s &= ~MSTATUS.MPRV;
  c.mstatus = s;
  h.triggers.mret();
  h.enterPriv(mpp);
  h.flushTlb();
  h.jumpTo64(c.mepcLo, c.mepcHi);
  return Status.Event;
}

function sret(h: Hart): number {
  const c = h.csr;
  if (h.priv === Priv.U || (h.priv === Priv.S && (c.mstatus & MSTATUS.TSR) !== 0)) return h.illegal();
  let s = c.mstatus;
  const spp = (s & MSTATUS.SPP) !== 0 ? Priv.S : Priv.U;
  s = (s & ~MSTATUS.SIE) | ((s & MSTATUS.SPIE) !== 0 ? MSTATUS.SIE : 0);
  s |= MSTATUS.SPIE;
  s &= ~(MSTATUS.SPP | MSTATUS.MPRV);
  c.mstatus = s;
  h.enterPriv(spp);
  h.flushTlb();
  h.jumpTo64(c.sepcLo, c.sepcHi);
  return Status.Event;
}

export const SYSTEM: Record<string, Handler> = {
  csrrw: (h, rd, rs1, _rs2, imm) => csr(h, rd, rs1, imm, CsrOp.Write, false),
  csrrs: (h, rd, rs1, _rs2, imm) => csr(h, rd, rs1, imm, CsrOp.Set, false),
  csrrc: (h, rd, rs1, _rs2, imm) => csr(h, rd, rs1, imm, CsrOp.Clear, false),
  csrrwi: (h, rd, rs1, _rs2, imm) => csr(h, rd, rs1, imm, CsrOp.Write, true),
  csrrsi: (h, rd, rs1, _rs2, imm) => csr(h, rd, rs1, imm, CsrOp.Set, true),
  csrrci: (h, rd, rs1, _rs2, imm) => csr(h, rd, rs1, imm, CsrOp.Clear, true),
  ecall: (h, _rd, _rs1, _rs2, _imm) =>
    h.raise(h.priv === Priv.U ? Cause.EcallU : h.priv === Priv.S ? Cause.EcallS : Cause.EcallM, 0, 0, h.insnPc),
  ebreak: (h, _rd, _rs1, _rs2, _imm) =>
    h.semihostHook !== null && h.atSemihostCall() ? h.semihostHook(h) : h.raisePc(Cause.Breakpoint),
  mret: (h, _rd, _rs1, _rs2, _imm) => mret(h),
  sret: (h, _rd, _rs1, _rs2, _imm) => sret(h),
  wfi: (h, _rd, _rs1, _rs2, _imm) => {
    if (h.priv === Priv.U || (h.priv === Priv.S && (h.csr.mstatus & MSTATUS.TW) !== 0)) return h.illegal();
    return (h.mip() & h.csr.mie) !== 0 ? Status.Ok : Status.Wfi;
  },
  sfence_vma: (h, _rd, _rs1, _rs2, _imm) => {
    if (h.priv === Priv.U || (h.priv === Priv.S && (h.csr.mstatus & MSTATUS.TVM) !== 0)) return h.illegal();
    h.flushTlb();
    return Status.Event;
  },
};

/** Catch-all for encodings no row matched; the decoder left the instruction bits in imm. */
export const illegalInstruction: Handler = (h, _rd, _rs1, _rs2, imm) =>
  h.raise(Cause.IllegalInstruction, imm, 0, h.insnPc);

