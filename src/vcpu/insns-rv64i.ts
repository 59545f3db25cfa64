// RV64I semantics: one entry per mnemonic, all with the handler signature
// (hart, rd, rs1, rs2, imm) -> Status. On entry hart.insnPc is the instruction's address and hart.pc
// already holds the address of the
// next instruction; jumps and taken branches overwrite it. Every handler reads all of its
// sources before it writes rd, since rd may equal a source.

import type { Handler } from './handlers.js';
import type { Hart } from './hart.js';
import { Status } from './status.js';
import { lt64, ltu64 } from './int64.js';
import { load, store } from './memory-access.js';

const TWO32 = 4294967296;

function setNumber(h: { xl: Int32Array; xh: Int32Array }, rd: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  h.xl[rd] = (v - hi * TWO32) | 0;
  h.xh[rd] = hi | 0;
}

function shiftLeft(h: { xl: Int32Array; xh: Int32Array }, rd: number, lo: number, hi: number, s: number): number {
  if (s === 0) { h.xl[rd] = lo; h.xh[rd] = hi; } else if (s < 32) { h.xh[rd] = (hi << s) | (lo >>> (32 - s)); h.xl[rd] = lo << s; } else { h.xh[rd] = lo << (s - 32); h.xl[rd] = 0; }
  return Status.Ok;
}

function shiftRight(h: { xl: Int32Array; xh: Int32Array }, rd: number, lo: number, hi: number, s: number, arith: boolean): number {
  if (s === 0) { h.xl[rd] = lo; h.xh[rd] = hi; } else if (s < 32) { h.xl[rd] = (lo >>> s) | (hi << (32 - s)); h.xh[rd] = arith ? hi >> s : (hi >>> s) | 0; } else { h.xl[rd] = arith ? hi >> (s - 32) : (hi >>> (s - 32)) | 0; h.xh[rd] = arith ? hi >> 31 : 0; }
  return Status.Ok;
}

function sext32(h: { xl: Int32Array; xh: Int32Array }, rd: number, v: number): number {
  h.xl[rd] = v; h.xh[rd] = v >> 31;
  return Status.Ok;
}

function branch(h: Hart, taken: boolean, imm: number): number {
  if (!taken) return Status.Ok;
  h.pc = h.insnPc + imm;
  return imm < 0 ? h.backEdge() : Status.Ok;
}

export const RV64I: Record<string, Handler> = {
  lui: (h, rd, _rs1, _rs2, imm) => sext32(h, rd, imm),
  auipc: (h, rd, _rs1, _rs2, imm) => { setNumber(h, rd, h.insnPc + imm); return Status.Ok; },
  jal: (h, rd, _rs1, _rs2, imm) => {
    setNumber(h, rd, h.pc);
    h.pc = h.insnPc + imm;
    return imm < 0 ? h.backEdge() : Status.Ok;
  },
  jalr: (h, rd, rs1, _rs2, imm) => {
    const s = (h.xl[rs1] >>> 0) + imm;
    const hi = (h.xh[rs1] + (s < 0 ? -1 : s >= TWO32 ? 1 : 0)) | 0;
    setNumber(h, rd, h.pc);
    h.jumpTo64((s | 0) & ~1, hi);
    return Status.Ok;
  },
  beq: (h, _rd, rs1, rs2, imm) => branch(h, h.xl[rs1] === h.xl[rs2] && h.xh[rs1] === h.xh[rs2], imm),
  bne: (h, _rd, rs1, rs2, imm) => branch(h, h.xl[rs1] !== h.xl[rs2] || h.xh[rs1] !== h.xh[rs2], imm),
  blt: (h, _rd, rs1, rs2, imm) => branch(h, lt64(h.xl[rs1], h.xh[rs1], h.xl[rs2], h.xh[rs2]), imm),
  bge: (h, _rd, rs1, rs2, imm) => branch(h, !lt64(h.xl[rs1], h.xh[rs1], h.xl[rs2], h.xh[rs2]), imm),
  bltu: (h, _rd, rs1, rs2, imm) => branch(h, ltu64(h.xl[rs1], h.xh[rs1], h.xl[rs2], h.xh[rs2]), imm),
  bgeu: (h, _rd, rs1, rs2, imm) => branch(h, !ltu64(h.xl[rs1], h.xh[rs1], h.xl[rs2], h.xh[rs2]), imm),

  lb: (h, rd, rs1, _rs2, imm) => load(h, rd, rs1, imm, 1, true),
  lh: (h, rd, rs1, _rs2, imm) => load(h, rd, rs1, imm, 2, true),
  lw: (h, rd, rs1, _rs2, imm) => load(h, rd, rs1, imm, 4, true),
  ld: (h, rd, rs1, _rs2, imm) => load(h, rd, rs1, imm, 8, true),
  lbu: (h, rd, rs1, _rs2, imm) => load(h, rd, rs1, imm, 1, false),
  lhu: (h, rd, rs1, _rs2, imm) => load(h, rd, rs1, imm, 2, false),
  lwu: (h, rd, rs1, _rs2, imm) => load(h, rd, rs1, imm, 4, false),
  sb: (h, _rd, rs1, rs2, imm) => store(h, rs1, rs2, imm, 1),
  sh: (h, _rd, rs1, rs2, imm) => store(h, rs1, rs2, imm, 2),
  sw: (h, _rd, rs1, rs2, imm) => store(h, rs1, rs2, imm, 4),
  sd: (h, _rd, rs1, rs2, imm) => store(h, rs1, rs2, imm, 8),

  addi: (h, rd, rs1, _rs2, imm) => {
    const a = h.xl[rs1], lo = (a + imm) | 0;
    h.xh[rd] = (h.xh[rs1] + (imm >> 31) + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
    h.xl[rd] = lo;
    return Status.Ok;
  },
  slti: (h, rd, rs1, _rs2, imm) => {
    h.xl[rd] = lt64(h.xl[rs1], h.xh[rs1], imm, imm >> 31) ? 1 : 0; h.xh[rd] = 0;
    return Status.Ok;
  },
  sltiu: (h, rd, rs1, _rs2, imm) => {
    h.xl[rd] = ltu64(h.xl[rs1], h.xh[rs1], imm, imm >> 31) ? 1 : 0; h.xh[rd] = 0;
    return Status.Ok;
  },
  xori: (h, rd, rs1, _rs2, imm) => { h.xh[rd] = h.xh[rs1] ^ (imm >> 31); h.xl[rd] = h.xl[rs1] ^ imm; return Status.Ok; },
  ori: (h, rd, rs1, _rs2, imm) => { h.xh[rd] = h.xh[rs1] | (imm >> 31); h.xl[rd] = h.xl[rs1] | imm; return Status.Ok; },
  andi: (h, rd, rs1, _rs2, imm) => { h.xh[rd] = h.xh[rs1] & (imm >> 31); h.xl[rd] = h.xl[rs1] & imm; return Status.Ok; },
  slli: (h, rd, rs1, _rs2, imm) => shiftLeft(h, rd, h.xl[rs1], h.xh[rs1], imm),
  srli: (h, rd, rs1, _rs2, imm) => shiftRight(h, rd, h.xl[rs1], h.xh[rs1], imm, false),
  srai: (h, rd, rs1, _rs2, imm) => shiftRight(h, rd, h.xl[rs1], h.xh[rs1], imm, true),

  add: (h, rd, rs1, rs2) => {
    const a = h.xl[rs1], lo = (a + h.xl[rs2]) | 0;
    h.xh[rd] = (h.xh[rs1] + h.xh[rs2] + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
    h.xl[rd] = lo;
    return Status.Ok;
  },
  sub: (h, rd, rs1, rs2) => {
    const a = h.xl[rs1], b = h.xl[rs2];
    h.xh[rd] = (h.xh[rs1] - h.xh[rs2] - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
    h.xl[rd] = (a - b) | 0;
    return Status.Ok;
  },
  sll: (h, rd, rs1, rs2) => shiftLeft(h, rd, h.xl[rs1], h.xh[rs1], h.xl[rs2] & 63),
  slt: (h, rd, rs1, rs2) => {
    h.xl[rd] = lt64(h.xl[rs1], h.xh[rs1], h.xl[rs2], h.xh[rs2]) ? 1 : 0; h.xh[rd] = 0;
    return Status.Ok;
  },
  sltu: (h, rd, rs1, rs2) => {
    h.xl[rd] = ltu64(h.xl[rs1], h.xh[rs1], h.xl[rs2], h.xh[rs2]) ? 1 : 0; h.xh[rd] = 0;
    return Status.Ok;
  },
  xor: (h, rd, rs1, rs2) => { h.xh[rd] = h.xh[rs1] ^ h.xh[rs2]; h.xl[rd] = h.xl[rs1] ^ h.xl[rs2]; return Status.Ok; },
  srl: (h, rd, rs1, rs2) => shiftRight(h, rd, h.xl[rs1], h.xh[rs1], h.xl[rs2] & 63, false),
  sra: (h, rd, rs1, rs2) => shiftRight(h, rd, h.xl[rs1], h.xh[rs1], h.xl[rs2] & 63, true),
  or: (h, rd, rs1, rs2) => { h.xh[rd] = h.xh[rs1] | h.xh[rs2]; h.xl[rd] = h.xl[rs1] | h.xl[rs2]; return Status.Ok; },
  and: (h, rd, rs1, rs2) => { h.xh[rd] = h.xh[rs1] & h.xh[rs2]; h.xl[rd] = h.xl[rs1] & h.xl[rs2]; return Status.Ok; },

  addiw: (h, rd, rs1, _rs2, imm) => sext32(h, rd, (h.xl[rs1] + imm) | 0),
  slliw: (h, rd, rs1, _rs2, imm) => sext32(h, rd, h.xl[rs1] << imm),
  srliw: (h, rd, rs1, _rs2, imm) => sext32(h, rd, (h.xl[rs1] >>> imm) | 0),
  sraiw: (h, rd, rs1, _rs2, imm) => sext32(h, rd, h.xl[rs1] >> imm),
  addw: (h, rd, rs1, rs2) => sext32(h, rd, (h.xl[rs1] + h.xl[rs2]) | 0),
  subw: (h, rd, rs1, rs2) => sext32(h, rd, (h.xl[rs1] - h.xl[rs2]) | 0),
  sllw: (h, rd, rs1, rs2) => sext32(h, rd, h.xl[rs1] << (h.xl[rs2] & 31)),
  srlw: (h, rd, rs1, rs2) => sext32(h, rd, (h.xl[rs1] >>> (h.xl[rs2] & 31)) | 0),
  sraw: (h, rd, rs1, rs2) => sext32(h, rd, h.xl[rs1] >> (h.xl[rs2] & 31)),

  // This hart performs memory accesses in program order and keeps its decoded instructions
  // coherent with every store (invariant 5), so neither fence needs to do anything, unless its
  // port buffers stores (MemoryPort.atomics): then both wait until the stores are visible.
  fence: (h) => fence(h),
  fence_i: (h) => fence(h),
};

function fence(h: Hart): number {
  const ap = h.port.atomics;
  return ap === undefined || ap.fence() ? Status.Ok : Status.Stall;
}
