// RV64A semantics: LR/SC with a reservation and the AMOs. An atomic must be naturally aligned
// (misaligned: cause 4 for LR, 6 for SC and AMOs). Each checks its access, which may stall or
// fault, before it changes anything. The reservation is the RAM offset of the reserved word; the
// memory port clears it when another agent takes the line (Hart.invalidateRam's caller).
// Triggers (triggers.ts) see an LR as a load, a successful SC as a store and an AMO as both, in
// Spike's order; they are asked after the access has been checked, before anything changes.
// On a port that performs atomics itself (MemoryPort.atomics: the quantum timing mode) the hart
// translates the address and hands the operation over; triggers do not watch those.

import type { Handler } from './handlers.js';
import type { Hart } from './hart.js';
import { Status, TRIGGER_AFTER } from './status.js';
import { Access, AmoOp, MmioStatus } from './port.js';
import { Cause } from './trap.js';
import { lt64, ltu64 } from './int64.js';
import { MEM_TRAPPED } from './status.js';
import { atomicRam, timed, watchAmo, zextLo } from './memory-access.js';
import { TRIG_LOAD, TRIG_STORE } from './triggers.js';

/** What a port's atomic answers (MemoryPort.atomics). */
const portOut = new Int32Array(2);

/** Status for a port's answer to an atomic at (lo, hi). */
function portStatus(h: Hart, st: MmioStatus, lo: number, hi: number): number {
  return st === MmioStatus.Ok ? Status.Ok : h.mmioOutcome(st, lo, hi, true);
}

/** Translation of an atomic's address for a port that performs it: the address, or a Status. */
function portAddress(h: Hart, lo: number, hi: number, kind: Access): number {
  const pa = h.translateData(lo, hi, kind);
  return pa >= 0 ? pa : -1 - (pa === MEM_TRAPPED ? Status.Trap : Status.Stall);
}

/**
 * The value an AMO stores: `op` of the old value (ol, oh) and the operand (sl, sh), both
 * sign-extended to 64 bits for the .w forms, into out[0] (low word) and out[1].
 */
export function amoApply(op: AmoOp, ol: number, oh: number, sl: number, sh: number, out: Int32Array): void {
  let nl = sl, nh = sh;
  switch (op) {
    case AmoOp.Swap: break;
    case AmoOp.Add: nl = (ol + sl) | 0; nh = (oh + sh + ((nl >>> 0) < (ol >>> 0) ? 1 : 0)) | 0; break;
    case AmoOp.Xor: nl = ol ^ sl; nh = oh ^ sh; break;
    case AmoOp.And: nl = ol & sl; nh = oh & sh; break;
    case AmoOp.Or: nl = ol | sl; nh = oh | sh; break;
    case AmoOp.Min: if (lt64(ol, oh, sl, sh)) { nl = ol; nh = oh; } break;
    case AmoOp.Max: if (!lt64(ol, oh, sl, sh)) { nl = ol; nh = oh; } break;
    // For the .w forms the sign-extended words compare as unsigned just as the words would.
    case AmoOp.Minu: if (ltu64(ol, oh, sl, sh)) { nl = ol; nh = oh; } break;
    case AmoOp.Maxu: if (!ltu64(ol, oh, sl, sh)) { nl = ol; nh = oh; } break;
  }
  out[0] = nl; out[1] = nh;
}

function amo(h: Hart, rd: number, rs1: number, rs2: number, size: number, op: AmoOp): number {
  return timed(h, h.extraCycles, amoOp(h, rd, rs1, rs2, size, op));
}

function amoOp(h: Hart, rd: number, rs1: number, rs2: number, size: number, op: AmoOp): number {
  h.stores++;
  const lo = h.xl[rs1], hi = h.xh[rs1];
  if ((lo & (size - 1)) !== 0) return h.raise(Cause.MisalignedStore, lo, hi, h.insnPc);
  const ap = h.port.atomics;
  if (ap !== undefined) {
    const pa = portAddress(h, lo, hi, Access.Store);
    if (pa < 0) return -1 - pa;
    const st = ap.amo(pa, size, op, h.xl[rs2], size === 8 ? h.xh[rs2] : h.xl[rs2] >> 31, portOut);
    if (st !== MmioStatus.Ok) return portStatus(h, st, lo, hi);
    h.xl[rd] = portOut[0]; h.xh[rd] = size === 8 ? portOut[1] : portOut[0] >> 31;
    return Status.Ok;
  }
  const ro = atomicRam(h, lo, hi, size, Access.Store);
  if (ro < 0) return -1 - ro;
  const dv = h.dv;
  const ol = dv.getInt32(ro, true);
  const oh = size === 8 ? dv.getInt32(ro + 4, true) : ol >> 31;
  amoApply(op, ol, oh, h.xl[rs2], size === 8 ? h.xh[rs2] : h.xl[rs2] >> 31, portOut);
  const nl = portOut[0], nh = portOut[1];
  const w = (h.triggers.armed & (TRIG_LOAD | TRIG_STORE)) !== 0 ? watchAmo(h, lo, hi, size, ol, oh, nl, nh) : Status.Ok;
  if (w === Status.Trap) return w;
  dv.setInt32(ro, nl, true);
  if (size === 8) dv.setInt32(ro + 4, nh, true);
  h.storedRam(ro, size);
  h.xl[rd] = ol; h.xh[rd] = oh;
  return w === TRIGGER_AFTER ? h.fireAfter(lo, hi) : Status.Ok;
}

function lr(h: Hart, rd: number, rs1: number, size: number): number {
  const lo = h.xl[rs1], hi = h.xh[rs1];
  // As for any load, an address trigger comes before the alignment and translation checks.
  const watched = (h.triggers.armed & TRIG_LOAD) !== 0;
  let w: number = watched ? h.watchData(Access.Load, lo, hi, false, 0, 0) : Status.Ok;
  if (w === Status.Trap) return w;
  if ((lo & (size - 1)) !== 0) return h.raise(Cause.MisalignedLoad, lo, hi, h.insnPc);
  const ap = h.port.atomics;
  let pa = NaN;
  if (ap !== undefined) {
    pa = portAddress(h, lo, hi, Access.Load);
    if (pa < 0) return -1 - pa;
  }
  const ro = atomicRam(h, lo, hi, size, Access.Load);
  if (ro < 0) return -1 - ro;
  if (ap !== undefined) ap.reserve(pa);
  const v = h.dv.getInt32(ro, true);
  const vh = size === 8 ? h.dv.getInt32(ro + 4, true) : v >> 31;
  if (watched && w !== TRIGGER_AFTER && (h.triggers.armedData & TRIG_LOAD) !== 0) {
    w = h.watchData(Access.Load, lo, hi, true, v, size === 8 ? vh : 0);
    if (w === Status.Trap) return w;
  }
  h.xl[rd] = v;
  h.xh[rd] = vh;
  h.reservation = ro;
  h.reservationLo = lo; h.reservationHi = hi;
  return w === TRIGGER_AFTER ? h.fireAfter(lo, hi) : Status.Ok;
}

function sc(h: Hart, rd: number, rs1: number, rs2: number, size: number): number {
  h.stores++;
  const lo = h.xl[rs1], hi = h.xh[rs1];
  // An SC checks alignment and store permission even when it is bound to fail (the ISA
  // manual: no SC retires without passing them; QEMU skips them when it holds no reservation).
  if ((lo & (size - 1)) !== 0) return h.raise(Cause.MisalignedStore, lo, hi, h.insnPc);
  const ap = h.port.atomics;
  if (ap !== undefined) {
    const pa = portAddress(h, lo, hi, Access.Store);
    if (pa < 0) return -1 - pa;
    const held = h.reservation >= 0 && lo === h.reservationLo && hi === h.reservationHi;
    const st = ap.sc(pa, size, h.xl[rs2], size === 8 ? h.xh[rs2] : 0, held, portOut);
    if (st !== MmioStatus.Ok) return portStatus(h, st, lo, hi);
    const failed = portOut[0];
    h.reservation = -1;
    h.xl[rd] = failed; h.xh[rd] = 0;
    return Status.Ok;
  }
  const ro = atomicRam(h, lo, hi, size, Access.Store);
  if (ro < 0) return -1 - ro;
  const ok = ro === h.reservation && lo === h.reservationLo && hi === h.reservationHi;
  // Only an SC that stores is a store to the triggers.
  const w = ok && (h.triggers.armed & TRIG_STORE) !== 0
    ? h.watchData(Access.Store, lo, hi, true, zextLo(h.xl[rs2], size), size === 8 ? h.xh[rs2] : 0) : Status.Ok;
  if (w === Status.Trap) return w;
  h.reservation = -1;
  if (ok) {
    h.dv.setInt32(ro, h.xl[rs2], true);
    if (size === 8) h.dv.setInt32(ro + 4, h.xh[rs2], true);
    h.storedRam(ro, size);
  }
  h.xl[rd] = ok ? 0 : 1; h.xh[rd] = 0;
  return w === TRIGGER_AFTER ? h.fireAfter(lo, hi) : Status.Ok;
}

export const RV64A: Record<string, Handler> = {
  lr_w: (h, rd, rs1, _rs2, _imm) => timed(h, h.extraCycles, lr(h, rd, rs1, 4)),
  sc_w: (h, rd, rs1, rs2, _imm) => timed(h, h.extraCycles, sc(h, rd, rs1, rs2, 4)),
  amoswap_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, AmoOp.Swap),
  amoadd_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, AmoOp.Add),
  amoxor_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, AmoOp.Xor),
  amoand_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, AmoOp.And),
  amoor_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, AmoOp.Or),
  amomin_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, AmoOp.Min),
  amomax_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, AmoOp.Max),
  amominu_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, AmoOp.Minu),
  amomaxu_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, AmoOp.Maxu),
  lr_d: (h, rd, rs1, _rs2, _imm) => timed(h, h.extraCycles, lr(h, rd, rs1, 8)),
  sc_d: (h, rd, rs1, rs2, _imm) => timed(h, h.extraCycles, sc(h, rd, rs1, rs2, 8)),
  amoswap_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, AmoOp.Swap),
  amoadd_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, AmoOp.Add),
  amoxor_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, AmoOp.Xor),
  amoand_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, AmoOp.And),
  amoor_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, AmoOp.Or),
  amomin_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, AmoOp.Min),
  amomax_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, AmoOp.Max),
  amominu_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, AmoOp.Minu),
  amomaxu_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, AmoOp.Maxu),
};
