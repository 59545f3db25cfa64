// RV64F / RV64D instruction encoder for the FP tests (directed tests and the FP differential
// generator). Field layouts: unprivileged spec chapters 11 and 12 (R, R4, I, S formats; the rm
// field is inst[14:12]) and 16 (c.fld, c.fsd, c.fldsp, c.fsdsp). Words are checked against
// llvm-mc in fp-golden.ts.

import { iType, sType } from './encode.js';

/** Rounding-mode field values (7 = dynamic: use frm). */
export const RM = { rne: 0, rtz: 1, rdn: 2, rup: 3, rmm: 4, dyn: 7 } as const;
export const RM_NAMES = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'rm5', 'rm6', 'dyn'] as const;

/** fcsr CSR numbers. */
export const FCSR = { fflags: 0x001, frm: 0x002, fcsr: 0x003 } as const;

export type RegKind = 'f' | 'x';

/**
 * One OP-FP mnemonic without its .s/.d suffix: funct7 of the S form (D adds 1), funct3 (or 'rm'),
 * a fixed rs2 (or null: rs2 is an operand), and the register files of rd and rs1.
 */
export interface FpOpInfo {
  f7: number;
  f3: number | 'rm';
  rs2: number | null;
  rd: RegKind;
  rs1: RegKind;
}

const fff = (f7: number, f3: number | 'rm'): FpOpInfo => ({ f7, f3, rs2: null, rd: 'f', rs1: 'f' });

export const FP_OPS: Record<string, FpOpInfo> = {
  fadd: fff(0x00, 'rm'), fsub: fff(0x04, 'rm'), fmul: fff(0x08, 'rm'), fdiv: fff(0x0c, 'rm'),
  fsqrt: { f7: 0x2c, f3: 'rm', rs2: 0, rd: 'f', rs1: 'f' },
  fsgnj: fff(0x10, 0), fsgnjn: fff(0x10, 1), fsgnjx: fff(0x10, 2),
  fmin: fff(0x14, 0), fmax: fff(0x14, 1),
  feq: { f7: 0x50, f3: 2, rs2: null, rd: 'x', rs1: 'f' },
  flt: { f7: 0x50, f3: 1, rs2: null, rd: 'x', rs1: 'f' },
  fle: { f7: 0x50, f3: 0, rs2: null, rd: 'x', rs1: 'f' },
  fclass: { f7: 0x70, f3: 1, rs2: 0, rd: 'x', rs1: 'f' },
  'fcvt.w': { f7: 0x60, f3: 'rm', rs2: 0, rd: 'x', rs1: 'f' },
  'fcvt.wu': { f7: 0x60, f3: 'rm', rs2: 1, rd: 'x', rs1: 'f' },
  'fcvt.l': { f7: 0x60, f3: 'rm', rs2: 2, rd: 'x', rs1: 'f' },
  'fcvt.lu': { f7: 0x60, f3: 'rm', rs2: 3, rd: 'x', rs1: 'f' },
  'fcvt.from.w': { f7: 0x68, f3: 'rm', rs2: 0, rd: 'f', rs1: 'x' },
  'fcvt.from.wu': { f7: 0x68, f3: 'rm', rs2: 1, rd: 'f', rs1: 'x' },
  'fcvt.from.l': { f7: 0x68, f3: 'rm', rs2: 2, rd: 'f', rs1: 'x' },
  'fcvt.from.lu': { f7: 0x68, f3: 'rm', rs2: 3, rd: 'f', rs1: 'x' },
  'fmv.to.x': { f7: 0x70, f3: 0, rs2: 0, rd: 'x', rs1: 'f' },
  'fmv.from.x': { f7: 0x78, f3: 0, rs2: 0, rd: 'f', rs1: 'x' },
  // Between precisions: the .s form is fcvt.s.d (rs2 = 1), the .d form fcvt.d.s (rs2 = 0).
  'fcvt.other': { f7: 0x20, f3: 'rm', rs2: null, rd: 'f', rs1: 'f' },
};

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`fp-encode: ${what}`);
}

function checkReg(r: number): void {
  check(Number.isInteger(r) && r >= 0 && r < 32, `register ${r} out of range`);
}

/** An OP-FP instruction: `op` names an FP_OPS row, `d` selects the D form. */
export function fpOp(op: string, d: boolean, rd: number, rs1: number, rs2 = 0, rm: number = RM.dyn): number {
  const e = FP_OPS[op];
  check(e !== undefined, `unknown FP op ${op}`);
  checkReg(rd); checkReg(rs1); checkReg(rs2);
  check(Number.isInteger(rm) && rm >= 0 && rm < 8, `rm ${rm}`);
  const f3 = e!.f3 === 'rm' ? rm : e!.f3;
  const r2 = op === 'fcvt.other' ? (d ? 0 : 1) : e!.rs2 ?? rs2;
  const f7 = e!.f7 | (d ? 1 : 0);
  return ((f7 << 25) | (r2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x53) >>> 0;
}

/** The fused multiply-adds. */
export const FMA_OPS: Record<string, number> = { fmadd: 0x43, fmsub: 0x47, fnmsub: 0x4b, fnmadd: 0x4f };

export function fmaOp(op: string, d: boolean, rd: number, rs1: number, rs2: number, rs3: number, rm: number = RM.dyn): number {
  const opcode = FMA_OPS[op];
  check(opcode !== undefined, `unknown FMA op ${op}`);
  checkReg(rd); checkReg(rs1); checkReg(rs2); checkReg(rs3);
  return ((rs3 << 27) | ((d ? 1 : 0) << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opcode) >>> 0;
}

export function flw(rd: number, rs1: number, imm: number): number { return iType(0x07, 2, rd, rs1, imm); }
export function fld(rd: number, rs1: number, imm: number): number { return iType(0x07, 3, rd, rs1, imm); }
export function fsw(rs2: number, rs1: number, imm: number): number { return sType(0x27, 2, rs1, rs2, imm); }
export function fsd(rs2: number, rs1: number, imm: number): number { return sType(0x27, 3, rs1, rs2, imm); }

/** csrrw/csrrs/csrrc (f3 1..3) and their immediate forms (f3 5..7, `src` is the uimm). */
export function csrOp(f3: number, rd: number, csr: number, src: number): number {
  checkReg(rd); checkReg(src);
  check(csr >= 0 && csr < 4096, `csr ${csr}`);
  return ((csr << 20) | (src << 15) | (f3 << 12) | (rd << 7) | 0x73) >>> 0;
}

const bits = (v: number, hi: number, lo: number) => (v >> lo) & ((1 << (hi - lo + 1)) - 1);

/** c.fld / c.fsd: `r2` is f8..f15 (rd' or rs2'), rs1p x8..x15, uimm a multiple of 8 below 256. */
export function cFmem(name: 'c.fld' | 'c.fsd', r2: number, rs1p: number, uimm: number): number {
  check(r2 >= 8 && r2 <= 15 && rs1p >= 8 && rs1p <= 15, `${name} registers ${r2}, ${rs1p}`);
  check(uimm >= 0 && uimm < 256 && (uimm & 7) === 0, `${name} offset ${uimm}`);
  const funct3 = name === 'c.fld' ? 1 : 5;
  return (funct3 << 13) | (bits(uimm, 5, 3) << 10) | ((rs1p - 8) << 7) | (bits(uimm, 7, 6) << 5) | ((r2 - 8) << 2);
}

export function cFldsp(rd: number, uimm: number): number {
  checkReg(rd);
  check(uimm >= 0 && uimm < 512 && (uimm & 7) === 0, `c.fldsp offset ${uimm}`);
  return (1 << 13) | (bits(uimm, 5, 5) << 12) | (rd << 7) | (bits(uimm, 4, 3) << 5) | (bits(uimm, 8, 6) << 2) | 2;
}

export function cFsdsp(rs2: number, uimm: number): number {
  checkReg(rs2);
  check(uimm >= 0 && uimm < 512 && (uimm & 7) === 0, `c.fsdsp offset ${uimm}`);
  return (5 << 13) | (bits(uimm, 5, 3) << 10) | (bits(uimm, 8, 6) << 7) | (rs2 << 2) | 2;
}

/** Assembly text of an OP-FP instruction, as llvm-mc prints it (with -riscv-no-aliases). */
export function fpOpText(op: string, d: boolean, rd: number, rs1: number, rs2: number, rm: number): string {
  const e = FP_OPS[op]!;
  const p = d ? 'd' : 's';
  const f = (r: number) => `f${r}`, x = (r: number) => `x${r}`;
  let mn: string;
  switch (op) {
    case 'fcvt.w': case 'fcvt.wu': case 'fcvt.l': case 'fcvt.lu': mn = `${op}.${p}`; break;
    case 'fcvt.from.w': case 'fcvt.from.wu': case 'fcvt.from.l': case 'fcvt.from.lu': mn = `fcvt.${p}.${op.slice(10)}`; break;
    case 'fmv.to.x': mn = d ? 'fmv.x.d' : 'fmv.x.w'; break;
    case 'fmv.from.x': mn = d ? 'fmv.d.x' : 'fmv.w.x'; break;
    case 'fcvt.other': mn = d ? 'fcvt.d.s' : 'fcvt.s.d'; break;
    default: mn = `${op}.${p}`;
  }
  const dst = e.rd === 'f' ? f(rd) : x(rd);
  const src = e.rs1 === 'f' ? f(rs1) : x(rs1);
  const ops = e.rs2 === null && op !== 'fcvt.other' ? [dst, src, f(rs2)] : [dst, src];
  // llvm-mc writes no rm for the exact conversions (fcvt.d.w, fcvt.d.wu, fcvt.d.s) and encodes 0.
  const exact = d && (op === 'fcvt.from.w' || op === 'fcvt.from.wu' || op === 'fcvt.other');
  const rmText = e.f3 === 'rm' && !(exact && rm === 0) ? `, ${RM_NAMES[rm]}` : '';
  return `${mn} ${ops.join(', ')}${rmText}`;
}
