// The F and D rows of the instruction table (unprivileged spec chapters 11 and 12, encodings as
// in riscv-opcodes). isa-table.ts splices them into ISA; semantics are in insns-rv64fd.ts.
//
// Immediate formats used here besides I and S (see isa-table.ts):
//   RM   imm = rm (inst[14:12]): arithmetic and conversions with a rounding-mode field
//   R4   imm = rs3 << 3 | rm (rs3 = inst[31:27]): the fused multiply-adds
// writesRd is true only for rows whose rd is an x register (comparisons, fclass, fcvt to an
// integer, fmv.x.*): there x0 becomes the discard slot. f0 is an ordinary register.

import type { Fmt, InsnRow } from './isa-table.js';

const F3 = 0x707f;
/** funct7 and opcode; inst[14:12] is rm. */
const F7 = 0xfe00007f;
/** funct7, rs2 and opcode; inst[14:12] is rm. */
const F7_RS2 = 0xfff0007f;
/** funct7, funct3 and opcode. */
const F7_F3 = 0xfe00707f;
/** funct7, rs2, funct3 and opcode. */
const F7_RS2_F3 = 0xfff0707f;
/** fmt (inst[26:25]) and opcode: R4 rows. */
const R4 = 0x0600007f;

const OP_FP = 0x53;

const row = (name: string, match: number, mask: number, fmt: Fmt, writesRd: boolean): InsnRow =>
  ({ name, match: match | 0, mask: mask | 0, fmt, writesRd });

/** An OP-FP encoding: funct7, optional funct3 and rs2 fields. */
const op = (f7: number, f3 = 0, rs2 = 0) => OP_FP | (f3 << 12) | (rs2 << 20) | (f7 << 25);

/** Rows of one precision: `d` selects D (fmt 01) over F (fmt 00). */
function precision(s: 's' | 'd'): InsnRow[] {
  const d = s === 'd' ? 1 : 0;
  const r4 = (opcode: number) => opcode | (d << 25);
  return [
    row(`fmadd_${s}`, r4(0x43), R4, 'R4', false),
    row(`fmsub_${s}`, r4(0x47), R4, 'R4', false),
    row(`fnmsub_${s}`, r4(0x4b), R4, 'R4', false),
    row(`fnmadd_${s}`, r4(0x4f), R4, 'R4', false),
    row(`fadd_${s}`, op(0x00 | d), F7, 'RM', false),
    row(`fsub_${s}`, op(0x04 | d), F7, 'RM', false),
    row(`fmul_${s}`, op(0x08 | d), F7, 'RM', false),
    row(`fdiv_${s}`, op(0x0c | d), F7, 'RM', false),
    row(`fsqrt_${s}`, op(0x2c | d), F7_RS2, 'RM', false),
    row(`fsgnj_${s}`, op(0x10 | d, 0), F7_F3, 'R', false),
    row(`fsgnjn_${s}`, op(0x10 | d, 1), F7_F3, 'R', false),
    row(`fsgnjx_${s}`, op(0x10 | d, 2), F7_F3, 'R', false),
    row(`fmin_${s}`, op(0x14 | d, 0), F7_F3, 'R', false),
    row(`fmax_${s}`, op(0x14 | d, 1), F7_F3, 'R', false),
    row(`feq_${s}`, op(0x50 | d, 2), F7_F3, 'R', true),
    row(`flt_${s}`, op(0x50 | d, 1), F7_F3, 'R', true),
    row(`fle_${s}`, op(0x50 | d, 0), F7_F3, 'R', true),
    row(`fclass_${s}`, op(0x70 | d, 1), F7_RS2_F3, 'R', true),
    row(`fcvt_w_${s}`, op(0x60 | d, 0, 0), F7_RS2, 'RM', true),
    row(`fcvt_wu_${s}`, op(0x60 | d, 0, 1), F7_RS2, 'RM', true),
    row(`fcvt_l_${s}`, op(0x60 | d, 0, 2), F7_RS2, 'RM', true),
    row(`fcvt_lu_${s}`, op(0x60 | d, 0, 3), F7_RS2, 'RM', true),
    row(`fcvt_${s}_w`, op(0x68 | d, 0, 0), F7_RS2, 'RM', false),
    row(`fcvt_${s}_wu`, op(0x68 | d, 0, 1), F7_RS2, 'RM', false),
    row(`fcvt_${s}_l`, op(0x68 | d, 0, 2), F7_RS2, 'RM', false),
    row(`fcvt_${s}_lu`, op(0x68 | d, 0, 3), F7_RS2, 'RM', false),
    row(s === 'd' ? 'fmv_x_d' : 'fmv_x_w', op(0x70 | d, 0), F7_RS2_F3, 'R', true),
    row(s === 'd' ? 'fmv_d_x' : 'fmv_w_x', op(0x78 | d, 0), F7_RS2_F3, 'R', false),
  ];
}

export const FD_ROWS: readonly InsnRow[] = [
  row('flw', 0x07 | (2 << 12), F3, 'I', false),
  row('fld', 0x07 | (3 << 12), F3, 'I', false),
  row('fsw', 0x27 | (2 << 12), F3, 'S', false),
  row('fsd', 0x27 | (3 << 12), F3, 'S', false),
  ...precision('s'),
  ...precision('d'),
  row('fcvt_s_d', op(0x20, 0, 1), F7_RS2, 'RM', false),
  row('fcvt_d_s', op(0x21, 0, 0), F7_RS2, 'RM', false),
];
