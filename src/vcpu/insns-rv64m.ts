// RV64M semantics. Multiplies and divides charge their extra cycles from the cost model and say
// so (Status.Timed), so that the run loop stops at its cycle limit, not past it.

import type { Handler } from './handlers.js';
import type { Hart } from './hart.js';
import { Status } from './status.js';
import { divrem32, divrem64, mul64, mulh64, out } from './int64.js';

function setOut(h: Hart, rd: number, extra: number): number {
  h.xl[rd] = out[0]; h.xh[rd] = out[1];
  h.extraCycles += extra;
  return extra > 0 ? Status.Timed : Status.Ok;
}

function sext32(h: Hart, rd: number, v: number, extra: number): number {
  h.xl[rd] = v; h.xh[rd] = v >> 31;
  h.extraCycles += extra;
  return extra > 0 ? Status.Timed : Status.Ok;
}

const divrem = (h: Hart, rd: number, rs1: number, rs2: number, signed: boolean, rem: boolean) => {
  divrem64(h.xl[rs1], h.xh[rs1], h.xl[rs2], h.xh[rs2], signed, rem);
  return setOut(h, rd, h.costs.divExtra);
};

const mulh = (h: Hart, rd: number, rs1: number, rs2: number, aSigned: boolean, bSigned: boolean) => {
  mulh64(h.xl[rs1], h.xh[rs1], aSigned, h.xl[rs2], h.xh[rs2], bSigned);
  return setOut(h, rd, h.costs.mulExtra);
};

export const RV64M: Record<string, Handler> = {
  mul: (h, rd, rs1, rs2) => { mul64(h.xl[rs1], h.xh[rs1], h.xl[rs2], h.xh[rs2]); return setOut(h, rd, h.costs.mulExtra); },
  mulh: (h, rd, rs1, rs2) => mulh(h, rd, rs1, rs2, true, true),
  mulhsu: (h, rd, rs1, rs2) => mulh(h, rd, rs1, rs2, true, false),
  mulhu: (h, rd, rs1, rs2) => mulh(h, rd, rs1, rs2, false, false),
  div: (h, rd, rs1, rs2) => divrem(h, rd, rs1, rs2, true, false),
  divu: (h, rd, rs1, rs2) => divrem(h, rd, rs1, rs2, false, false),
  rem: (h, rd, rs1, rs2) => divrem(h, rd, rs1, rs2, true, true),
  remu: (h, rd, rs1, rs2) => divrem(h, rd, rs1, rs2, false, true),
  mulw: (h, rd, rs1, rs2) => sext32(h, rd, Math.imul(h.xl[rs1], h.xl[rs2]), h.costs.mulExtra),
  divw: (h, rd, rs1, rs2) => sext32(h, rd, divrem32(h.xl[rs1], h.xl[rs2], true, false), h.costs.divExtra),
  divuw: (h, rd, rs1, rs2) => sext32(h, rd, divrem32(h.xl[rs1], h.xl[rs2], false, false), h.costs.divExtra),
  remw: (h, rd, rs1, rs2) => sext32(h, rd, divrem32(h.xl[rs1], h.xl[rs2], true, true), h.costs.divExtra),
  remuw: (h, rd, rs1, rs2) => sext32(h, rd, divrem32(h.xl[rs1], h.xl[rs2], false, true), h.costs.divExtra),
};
