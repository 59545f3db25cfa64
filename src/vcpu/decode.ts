// Instruction decoding driven by the table in isa-table.ts.
//
// At start-up the rows are sorted into 128 buckets by their major opcode; decoding scans one
// bucket, which ends in the illegal-instruction catch-all. Compressed instructions are expanded to
// the row of their 32-bit equivalent with their own operands, so the semantics exist once.
// Decoding is cached per instruction address by the hart, so this path is not hot.
//
// Decoded operands: rd is the destination, with x0 mapped to the discard slot X_DISCARD for rows
// that write rd (so handlers never test for x0); rs1/rs2 are source registers; imm is the
// immediate (for CSR rows: the CSR number; rs1 then holds rs1 or the 5-bit uimm).

import { ISA, type Fmt, type InsnRow } from './isa-table.js';

/** Register slot that absorbs writes to x0; reads of x0 use slot 0, which stays zero. */
export const X_DISCARD = 32;

/** Operation number of the illegal-instruction catch-all (one past the table). */
export const OP_ILLEGAL = ISA.length;

export const OP_BY_NAME: Readonly<Record<string, number>> = Object.fromEntries(ISA.map((r, i) => [r.name, i]));

export interface Decoded {
  op: number;
  rd: number;
  rs1: number;
  rs2: number;
  imm: number;
  len: number;
}

// Field extractors, named as in the specification.
export const rd = (i: number) => (i >>> 7) & 31;
export const rs1 = (i: number) => (i >>> 15) & 31;
export const rs2 = (i: number) => (i >>> 20) & 31;
export const iImm = (i: number) => i >> 20;
export const sImm = (i: number) => ((i >> 25) << 5) | ((i >>> 7) & 31);
export const bImm = (i: number) =>
  ((i >> 31) << 12) | (((i >>> 7) & 1) << 11) | (((i >>> 25) & 63) << 5) | (((i >>> 8) & 15) << 1);
export const uImm = (i: number) => i & 0xfffff000;
export const jImm = (i: number) =>
  ((i >> 31) << 20) | (((i >>> 12) & 255) << 12) | (((i >>> 20) & 1) << 11) | (((i >>> 21) & 1023) << 1);

function immOf(fmt: Fmt, insn: number): number {
  switch (fmt) {
    case 'I': return iImm(insn);
    case 'S': return sImm(insn);
    case 'B': return bImm(insn);
    case 'U': return uImm(insn) | 0;
    case 'J': return jImm(insn);
    case 'SH': return (insn >>> 20) & 63;
    case 'SHW': return (insn >>> 20) & 31;
    case 'CSR': return (insn >>> 20) & 0xfff;
    case 'RM': return (insn >>> 12) & 7;
    case 'R4': return ((insn >>> 27) << 3) | ((insn >>> 12) & 7);
    case 'R':
    case 'N': return 0;
  }
}

const buckets: InsnRow[][] = Array.from({ length: 128 }, () => []);
const rowIndex = new Map<InsnRow, number>();
ISA.forEach((r, i) => {
  buckets[r.match & 0x7f].push(r);
  rowIndex.set(r, i);
});

function illegal(d: Decoded, insn: number, len: number): Decoded {
  d.op = OP_ILLEGAL; d.rd = X_DISCARD; d.rs1 = 0; d.rs2 = 0; d.imm = insn; d.len = len;
  return d;
}

function set(d: Decoded, name: string, rdv: number, rs1v: number, rs2v: number, imm: number, len: number): Decoded {
  const op = OP_BY_NAME[name];
  d.op = op;
  d.rd = ISA[op].writesRd && rdv === 0 ? X_DISCARD : rdv;
  d.rs1 = rs1v; d.rs2 = rs2v; d.imm = imm | 0; d.len = len;
  return d;
}

/** Decode a 32-bit instruction word. */
export function decode32(insn: number, d: Decoded): Decoded {
  for (const r of buckets[insn & 0x7f]) {
    if ((insn & r.mask) === r.match) {
      const op = rowIndex.get(r)!;
      d.op = op;
      d.rd = r.writesRd && rd(insn) === 0 ? X_DISCARD : rd(insn);
      d.rs1 = rs1(insn); d.rs2 = rs2(insn); d.imm = immOf(r.fmt, insn); d.len = 4;
      return d;
    }
  }
  return illegal(d, insn, 4);
}

const bit = (i: number, b: number) => (i >>> b) & 1;
const bits = (i: number, hi: number, lo: number) => (i >>> lo) & ((1 << (hi - lo + 1)) - 1);
const sext = (v: number, width: number) => (v << (32 - width)) >> (32 - width);
/** The 3-bit register fields of the compressed formats name x8..x15. */
const r3 = (v: number) => v + 8;

/** Expand a 16-bit compressed instruction (RV64C) into its 32-bit equivalent's operands. */
export function decode16(c: number, d: Decoded): Decoded {
  const f3 = c >>> 13;
  const rdf = bits(c, 11, 7), rs2f = bits(c, 6, 2);
  const rdp = r3(bits(c, 4, 2)), rs1p = r3(bits(c, 9, 7));
  const ci = sext((bit(c, 12) << 5) | bits(c, 6, 2), 6);
  switch (c & 3) {
    case 0:
      switch (f3) {
        case 0: { // c.addi4spn
          const imm = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bit(c, 6) << 2) | (bit(c, 5) << 3);
          return imm === 0 ? illegal(d, c, 2) : set(d, 'addi', rdp, 2, 0, imm, 2);
        }
        case 2: return set(d, 'lw', rdp, rs1p, 0, (bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6), 2);
        case 1: return set(d, 'fld', rdp, rs1p, 0, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6), 2); // c.fld
        case 3: return set(d, 'ld', rdp, rs1p, 0, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6), 2);
        case 5: return set(d, 'fsd', 0, rs1p, rdp, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6), 2); // c.fsd
        case 6: return set(d, 'sw', 0, rs1p, rdp, (bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6), 2);
        case 7: return set(d, 'sd', 0, rs1p, rdp, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6), 2);
        default: return illegal(d, c, 2); // 4 is reserved
      }
    case 1:
      switch (f3) {
        case 0: return set(d, 'addi', rdf, rdf, 0, ci, 2);
        case 1: return rdf === 0 ? illegal(d, c, 2) : set(d, 'addiw', rdf, rdf, 0, ci, 2);
        case 2: return set(d, 'addi', rdf, 0, 0, ci, 2);
        case 3: {
          if (rdf === 2) {
            const imm = sext((bit(c, 12) << 9) | (bit(c, 6) << 4) | (bit(c, 5) << 6) | (bits(c, 4, 3) << 7) | (bit(c, 2) << 5), 10);
            return imm === 0 ? illegal(d, c, 2) : set(d, 'addi', 2, 2, 0, imm, 2);
          }
          return ci === 0 ? illegal(d, c, 2) : set(d, 'lui', rdf, 0, 0, ci << 12, 2);
        }
        case 4: {
          const shamt = (bit(c, 12) << 5) | rs2f;
          switch (bits(c, 11, 10)) {
            case 0: return set(d, 'srli', rs1p, rs1p, 0, shamt, 2);
            case 1: return set(d, 'srai', rs1p, rs1p, 0, shamt, 2);
            case 2: return set(d, 'andi', rs1p, rs1p, 0, ci, 2);
            default: {
              const ops = bit(c, 12) === 0 ? ['sub', 'xor', 'or', 'and'] : ['subw', 'addw'];
              const name = ops[bits(c, 6, 5)];
              return name === undefined ? illegal(d, c, 2) : set(d, name, rs1p, rs1p, rdp, 0, 2);
            }
          }
        }
        case 5: {
          const imm = sext((bit(c, 12) << 11) | (bit(c, 11) << 4) | (bits(c, 10, 9) << 8) | (bit(c, 8) << 10) |
            (bit(c, 7) << 6) | (bit(c, 6) << 7) | (bits(c, 5, 3) << 1) | (bit(c, 2) << 5), 12);
          return set(d, 'jal', 0, 0, 0, imm, 2);
        }
        default: { // 6: c.beqz, 7: c.bnez
          const imm = sext((bit(c, 12) << 8) | (bits(c, 11, 10) << 3) | (bits(c, 6, 5) << 6) | (bits(c, 4, 3) << 1) | (bit(c, 2) << 5), 9);
          return set(d, f3 === 6 ? 'beq' : 'bne', 0, rs1p, 0, imm, 2);
        }
      }
    case 2:
      switch (f3) {
        case 0: return set(d, 'slli', rdf, rdf, 0, (bit(c, 12) << 5) | rs2f, 2);
        case 1: return set(d, 'fld', rdf, 2, 0, (bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6), 2); // c.fldsp
        case 2: return rdf === 0 ? illegal(d, c, 2)
          : set(d, 'lw', rdf, 2, 0, (bit(c, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6), 2);
        case 3: return rdf === 0 ? illegal(d, c, 2)
          : set(d, 'ld', rdf, 2, 0, (bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6), 2);
        case 4:
          if (bit(c, 12) === 0) {
            if (rs2f === 0) return rdf === 0 ? illegal(d, c, 2) : set(d, 'jalr', 0, rdf, 0, 0, 2);
            return set(d, 'add', rdf, 0, rs2f, 0, 2);
          }
          if (rs2f === 0) return rdf === 0 ? set(d, 'ebreak', 0, 0, 0, 0, 2) : set(d, 'jalr', 1, rdf, 0, 0, 2);
          return set(d, 'add', rdf, rdf, rs2f, 0, 2);
        case 6: return set(d, 'sw', 0, 2, rs2f, (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6), 2);
        case 5: return set(d, 'fsd', 0, 2, rs2f, (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6), 2); // c.fsdsp
        case 7: return set(d, 'sd', 0, 2, rs2f, (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6), 2);
        default: return illegal(d, c, 2);
      }
    default:
      throw new Error(`decode16: 0x${c.toString(16)} is a 32-bit instruction`);
  }
}
