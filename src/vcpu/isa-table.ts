// The RV64IMAFDC + Zicsr + Zifencei + privileged instruction table: one row per 32-bit encoding,
// as MATCH/MASK pairs in the style of riscv-opcodes' encoding.h. The decoder (decode.ts) expands
// these rows into a dispatch structure; semantics live in insns-*.ts under the same mnemonic.
// Compressed instructions are not listed here: decode.ts expands each one into the row of its
// 32-bit equivalent.
//
// fmt says which immediate the decoder extracts:
//   R: none   I: imm[11:0]   S: store offset   B: branch offset   U: imm[31:12] << 12
//   J: jump offset   SH: 6-bit shamt   SHW: 5-bit shamt   CSR: csr number (rs1 is rs1 or uimm)
//   N: no operands   RM: rm = inst[14:12]   R4: rs3 << 3 | rm (F and D rows, isa-table-fd.ts)

import { FD_ROWS } from './isa-table-fd.js';

export type Fmt = 'R' | 'I' | 'S' | 'B' | 'U' | 'J' | 'SH' | 'SHW' | 'CSR' | 'N' | 'RM' | 'R4';

export interface InsnRow {
  name: string;
  match: number;
  mask: number;
  fmt: Fmt;
  /** true when the instruction writes rd (the decoder then maps x0 to the discard slot). */
  writesRd: boolean;
}

const OPC = 0x7f, F3 = 0x707f, F7 = 0xfe00707f, F6 = 0xfc00707f, AMO = 0xf800707f, LR = 0xf9f0707f;
const ALL = 0xffffffff | 0;

const m = (opcode: number, f3 = 0, f7 = 0) => (opcode | (f3 << 12) | (f7 << 25)) | 0;
const amo = (f5: number, f3: number) => (0x2f | (f3 << 12) | (f5 << 27)) | 0;

const row = (name: string, match: number, mask: number, fmt: Fmt, writesRd = true): InsnRow =>
  ({ name, match: match | 0, mask: mask | 0, fmt, writesRd });

export const ISA: readonly InsnRow[] = [
  // RV64I
  row('lui', 0x37, OPC, 'U'),
  row('auipc', 0x17, OPC, 'U'),
  row('jal', 0x6f, OPC, 'J'),
  row('jalr', m(0x67, 0), F3, 'I'),
  row('beq', m(0x63, 0), F3, 'B', false),
  row('bne', m(0x63, 1), F3, 'B', false),
  row('blt', m(0x63, 4), F3, 'B', false),
  row('bge', m(0x63, 5), F3, 'B', false),
  row('bltu', m(0x63, 6), F3, 'B', false),
  row('bgeu', m(0x63, 7), F3, 'B', false),
  row('lb', m(0x03, 0), F3, 'I'),
  row('lh', m(0x03, 1), F3, 'I'),
  row('lw', m(0x03, 2), F3, 'I'),
  row('ld', m(0x03, 3), F3, 'I'),
  row('lbu', m(0x03, 4), F3, 'I'),
  row('lhu', m(0x03, 5), F3, 'I'),
  row('lwu', m(0x03, 6), F3, 'I'),
  row('sb', m(0x23, 0), F3, 'S', false),
  row('sh', m(0x23, 1), F3, 'S', false),
  row('sw', m(0x23, 2), F3, 'S', false),
  row('sd', m(0x23, 3), F3, 'S', false),
  row('addi', m(0x13, 0), F3, 'I'),
  row('slti', m(0x13, 2), F3, 'I'),
  row('sltiu', m(0x13, 3), F3, 'I'),
  row('xori', m(0x13, 4), F3, 'I'),
  row('ori', m(0x13, 6), F3, 'I'),
  row('andi', m(0x13, 7), F3, 'I'),
  row('slli', m(0x13, 1), F6, 'SH'),
  row('srli', m(0x13, 5), F6, 'SH'),
  row('srai', m(0x13, 5, 0x20), F6, 'SH'),
  row('add', m(0x33, 0), F7, 'R'),
  row('sub', m(0x33, 0, 0x20), F7, 'R'),
  row('sll', m(0x33, 1), F7, 'R'),
  row('slt', m(0x33, 2), F7, 'R'),
  row('sltu', m(0x33, 3), F7, 'R'),
  row('xor', m(0x33, 4), F7, 'R'),
  row('srl', m(0x33, 5), F7, 'R'),
  row('sra', m(0x33, 5, 0x20), F7, 'R'),
  row('or', m(0x33, 6), F7, 'R'),
  row('and', m(0x33, 7), F7, 'R'),
  row('addiw', m(0x1b, 0), F3, 'I'),
  row('slliw', m(0x1b, 1), F7, 'SHW'),
  row('srliw', m(0x1b, 5), F7, 'SHW'),
  row('sraiw', m(0x1b, 5, 0x20), F7, 'SHW'),
  row('addw', m(0x3b, 0), F7, 'R'),
  row('subw', m(0x3b, 0, 0x20), F7, 'R'),
  row('sllw', m(0x3b, 1), F7, 'R'),
  row('srlw', m(0x3b, 5), F7, 'R'),
  row('sraw', m(0x3b, 5, 0x20), F7, 'R'),
  row('fence', m(0x0f, 0), F3, 'N', false),
  row('fence_i', m(0x0f, 1), F3, 'N', false),
  // RV64M
  row('mul', m(0x33, 0, 1), F7, 'R'),
  row('mulh', m(0x33, 1, 1), F7, 'R'),
  row('mulhsu', m(0x33, 2, 1), F7, 'R'),
  row('mulhu', m(0x33, 3, 1), F7, 'R'),
  row('div', m(0x33, 4, 1), F7, 'R'),
  row('divu', m(0x33, 5, 1), F7, 'R'),
  row('rem', m(0x33, 6, 1), F7, 'R'),
  row('remu', m(0x33, 7, 1), F7, 'R'),
  row('mulw', m(0x3b, 0, 1), F7, 'R'),
  row('divw', m(0x3b, 4, 1), F7, 'R'),
  row('divuw', m(0x3b, 5, 1), F7, 'R'),
  row('remw', m(0x3b, 6, 1), F7, 'R'),
  row('remuw', m(0x3b, 7, 1), F7, 'R'),
  // RV64A (aq/rl bits are ignored: this hart performs every access in program order)
  row('lr_w', amo(0x02, 2), LR, 'R'),
  row('sc_w', amo(0x03, 2), AMO, 'R'),
  row('amoswap_w', amo(0x01, 2), AMO, 'R'),
  row('amoadd_w', amo(0x00, 2), AMO, 'R'),
  row('amoxor_w', amo(0x04, 2), AMO, 'R'),
  row('amoand_w', amo(0x0c, 2), AMO, 'R'),
  row('amoor_w', amo(0x08, 2), AMO, 'R'),
  row('amomin_w', amo(0x10, 2), AMO, 'R'),
  row('amomax_w', amo(0x14, 2), AMO, 'R'),
  row('amominu_w', amo(0x18, 2), AMO, 'R'),
  row('amomaxu_w', amo(0x1c, 2), AMO, 'R'),
  row('lr_d', amo(0x02, 3), LR, 'R'),
  row('sc_d', amo(0x03, 3), AMO, 'R'),
  row('amoswap_d', amo(0x01, 3), AMO, 'R'),
  row('amoadd_d', amo(0x00, 3), AMO, 'R'),
  row('amoxor_d', amo(0x04, 3), AMO, 'R'),
  row('amoand_d', amo(0x0c, 3), AMO, 'R'),
  row('amoor_d', amo(0x08, 3), AMO, 'R'),
  row('amomin_d', amo(0x10, 3), AMO, 'R'),
  row('amomax_d', amo(0x14, 3), AMO, 'R'),
  row('amominu_d', amo(0x18, 3), AMO, 'R'),
  row('amomaxu_d', amo(0x1c, 3), AMO, 'R'),
  // RV64F and RV64D
  ...FD_ROWS,
  // Zicsr
  row('csrrw', m(0x73, 1), F3, 'CSR'),
  row('csrrs', m(0x73, 2), F3, 'CSR'),
  row('csrrc', m(0x73, 3), F3, 'CSR'),
  row('csrrwi', m(0x73, 5), F3, 'CSR'),
  row('csrrsi', m(0x73, 6), F3, 'CSR'),
  row('csrrci', m(0x73, 7), F3, 'CSR'),
  // Privileged
  row('ecall', 0x00000073, ALL, 'N', false),
  row('ebreak', 0x00100073, ALL, 'N', false),
  row('sret', 0x10200073, ALL, 'N', false),
  row('mret', 0x30200073, ALL, 'N', false),
  row('wfi', 0x10500073, ALL, 'N', false),
  row('sfence_vma', 0x12000073, 0xfe007fff, 'R', false),
];
