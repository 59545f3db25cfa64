// RV64A semantics: LR/SC with a reservation and the AMOs. An atomic must be naturally aligned
// (misaligned: cause 4 for LR, 6 for SC and AMOs). Each checks its access, which may stall or
// fault, before it changes anything. The reservation is the RAM offset of the reserved word; the
// memory port clears it when another agent takes the line (Hart.invalidateRam's caller).
// Triggers (triggers.ts) see an LR as a load, a successful SC as a store and an AMO as both, in
// Spike's order; they are asked after the access has been checked, before anything changes.

import type { Handler } from './handlers.js';
import type { Hart } from './hart.js';
import { Status, TRIGGER_AFTER } from './status.js';
import { Access } from './port.js';
import { Cause } from './trap.js';
import { lt64, ltu64 } from './int64.js';
import { atomicRam, timed, watchAmo, zextLo } from './memory-access.js';
import { TRIG_LOAD, TRIG_STORE } from './triggers.js';

const enum Amo { Swap, Add, Xor, And, Or, Min, Max, Minu, Maxu }

function amo(h: Hart, rd: number, rs1: number, rs2: number, size: number, op: Amo): number {
  return timed(h, h.extraCycles, amoOp(h, rd, rs1, rs2, size, op));
}

function amoOp(h: Hart, rd: number, rs1: number, rs2: number, size: number, op: Amo): number {
  h.stores++;
  const lo = h.xl[rs1], hi = h.xh[rs1];
  if ((lo & (size - 1)) !== 0) return h.raise(Cause.MisalignedStore, lo, hi, h.insnPc);
  const ro = atomicRam(h, lo, hi, size, Access.Store);
  if (ro < 0) return -1 - ro;
  const dv = h.dv;
  const ol = dv.getInt32(ro, true);
  const oh = size === 8 ? dv.getInt32(ro + 4, true) : ol >> 31;
  const sl = h.xl[rs2], sh = size === 8 ? h.xh[rs2] : sl >> 31;
  let nl = sl, nh = sh;
  switch (op) {
    case Amo.Swap: break;
    case Amo.Add: nl = (ol + sl) | 0; nh = (oh + sh + ((nl >>> 0) < (ol >>> 0) ? 1 : 0)) | 0; break;
    case Amo.Xor: nl = ol ^ sl; nh = oh ^ sh; break;
    case Amo.And: nl = ol & sl; nh = oh & sh; break;
    case Amo.Or: nl = ol | sl; nh = oh | sh; break;
    case Amo.Min: if (lt64(ol, oh, sl, sh)) { nl = ol; nh = oh; } break;
    case Amo.Max: if (!lt64(ol, oh, sl, sh)) { nl = ol; nh = oh; } break;
    // For the .w forms the sign-extended words compare as unsigned just as the words would.
    case Amo.Minu: if (ltu64(ol, oh, sl, sh)) { nl = ol; nh = oh; } break;
    case Amo.Maxu: if (!ltu64(ol, oh, sl, sh)) { nl = ol; nh = oh; } break;
  }
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
  const ro = atomicRam(h, lo, hi, size, Access.Load);
  if (ro < 0) return -1 - ro;
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
  amoswap_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, Amo.Swap),
  amoadd_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, Amo.Add),
  amoxor_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, Amo.Xor),
  amoand_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, Amo.And),
  amoor_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, Amo.Or),
  amomin_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, Amo.Min),
  amomax_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, Amo.Max),
  amominu_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, Amo.Minu),
  amomaxu_w: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 4, Amo.Maxu),
  lr_d: (h, rd, rs1, _rs2, _imm) => timed(h, h.extraCycles, lr(h, rd, rs1, 8)),
  sc_d: (h, rd, rs1, rs2, _imm) => timed(h, h.extraCycles, sc(h, rd, rs1, rs2, 8)),
  amoswap_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, Amo.Swap),
  amoadd_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, Amo.Add),
  amoxor_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, Amo.Xor),
  amoand_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, Amo.And),
  amoor_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, Amo.Or),
  amomin_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, Amo.Min),
  amomax_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, Amo.Max),
  amominu_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, Amo.Minu),
  amomaxu_d: (h, rd, rs1, rs2, _imm) => amo(h, rd, rs1, rs2, 8, Amo.Maxu),
};
